"""The spider's work by job, as mixins of spiders.alitaliya.AlitaliyaSpider: reading sitemaps and feeds (sources),
deciding against the archive what to ask for again (incremental), and counting across a fleet of workers (fleet).
The spider keeps its callbacks and the one request() every URL goes through."""

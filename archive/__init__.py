"""arshif: archive الإيطالية نيوز into WARC files and a searchable SQLite store."""

__version__ = "0.1.0"

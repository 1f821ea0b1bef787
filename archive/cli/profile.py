"""`arshif profile`: the article profile learned of each site (archive/pages/profile.py), shown or forgotten."""

from __future__ import annotations

import click

from archive.cli.options import data_option, existing, print_json, say


@click.command("profile")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print the profiles as JSON (site → profile).")
@click.option("--reset", is_flag=True, help="Forget the profiles: the next crawl, reextract or rebuild learns again.")
@click.pass_context
def profile(ctx, data, as_json, reset):
    """What each site's articles look like, as learned from its pages with strong article signals.

    Its URL patterns, the elements holding title, date, byline and body (tag path and classes), the links of its
    sections, tags and authors, its navigation and boilerplate, and when it changed (a redesign). Once learned
    from enough pages, a page with no article signal that fits it is stored as an article, and a page taken only by
    a weak signal (a dateline, a date in the text) that does not fit is not.

    \b
    Examples:
      arshif profile
      arshif profile --json
      arshif profile --reset
    """
    from archive.ops.profile import forget, profile_report

    folder = existing(ctx, data)
    if reset:
        say(f"{forget(folder)} site profile(s) forgotten")
        return
    report = profile_report(folder)
    if as_json:
        print_json(report)
        return
    if not report:
        say("no site profile learned yet")
    for site, found in report.items():
        state = "confident" if found.get("confident") else "still learning"
        click.echo(f"{site}: profile {found['version']}, {state}, learned from {found['strong_pages']} pages with "
                   "strong signals")
        for pattern in found.get("article_patterns", []):
            click.echo(f"  article URL pattern: {pattern}")
        for role, marker in found.get("template", {}).items():
            classes = "".join(f".{c}" for c in marker["classes"])
            click.echo(f"  {role}: {marker['path']}{classes}")
        for key, name in (("term_links", "section and tag links"), ("author_links", "author links")):
            if found.get(key):
                click.echo(f"  {name}: {', '.join(found[key])}")
        if found.get("navigation"):
            click.echo(f"  navigation: {len(found['navigation'])} page(s) linked around its articles (never taken "
                       "as articles unless a posts source lists them)")
        if found.get("boilerplate"):
            click.echo(f"  boilerplate: {len(found['boilerplate'])} line(s) of text around its articles")
        for event in found.get("history") or []:
            click.echo(f"  {event['at']}: {event['how']} {event.get('was') or ''} → {event.get('version') or '…'}")

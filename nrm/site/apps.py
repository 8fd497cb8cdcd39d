from django.apps import AppConfig


class SiteConfig(AppConfig):
    """What sits above the domains: the home page and navigation (which read every domain's
    pages), and the commands that run the whole service (demo, serve, worker)."""

    name = "nrm.site"
    label = "site"
    verbose_name = "Site"

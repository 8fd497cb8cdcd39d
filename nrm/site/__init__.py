"""The site: pages, navigation and commands that bring the domains together. Nothing imports it."""

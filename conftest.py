# Shared fixtures (users by role, signed-in clients) for every test directory.
pytest_plugins = ["nrm.testing"]

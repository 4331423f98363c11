"""The demonstration data (`manage.py load_demo`, `make run`): one room, on top
of every app, so that the apps' own code never imports it and the apps' demo
parts never import each other. `load.py` says what is loaded and in which
order; each module here fills one app's tables through that app's models and
services."""

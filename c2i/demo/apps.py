from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models: installed for its commands (`load_demo`, `print_demo_accounts`)."""

    name = "c2i.demo"
    label = "demo"

from django.apps import AppConfig


class HierarchiesConfig(AppConfig):
    name = "hierarchies"
    verbose_name = "Structures and hierarchies"

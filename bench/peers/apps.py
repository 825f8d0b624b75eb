from django.apps import AppConfig


class PeersConfig(AppConfig):
    name = "bench.peers"
    label = "peers"
    verbose_name = "Benchmark peers (treebeard, mptt)"

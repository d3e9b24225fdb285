"""The portal's shape: tabs per policy, Home panels, a resident's units and the flat
switcher (its one route; every feature's tabs and desks pass through it)."""

from iok_saas.features import Feature, Mount

FEATURE = Feature(name="portal", mounts=(Mount(".blueprint:bp", "/konto"),),
                  setup=".hooks:install")

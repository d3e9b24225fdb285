"""The staff back office: residents' search, accounts, letters, blocks, the staff list."""

from iok_saas.features import Feature, Mount

FEATURE = Feature(name="backoffice", mounts=(Mount(".blueprint:bp", "/staff"),),
                  work_queues=".queues:work_queues", setup=".hooks:install")

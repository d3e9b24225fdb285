"""A tenant's public pages (start, regulations, branding) and the pages of every site."""

from iok_saas.features import ANY_SITE, Feature, Mount

FEATURE = Feature(
    name="public",
    mounts=(Mount(".blueprint:site_bp", site=ANY_SITE), Mount(".blueprint:bp")),
)

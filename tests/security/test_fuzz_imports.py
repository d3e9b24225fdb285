"""Fuzzing the import API (ASVS V5.1.3, V13.2): generated JSON bodies — random structures,
wrong types, huge numbers, unicode, unknown fields, mixed valid and invalid rows — sent with a
valid token to ``POST /api/v1/imports/<dataset>``. Never a 500; a request that is not applied
never writes (every business table is compared before and after)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iok_saas.modules.imports.formats import DATASETS, ORDER

from .conftest import changed_tables, snapshot

ZW = "zielone-wzgorza"
EXAMPLES = 150
# A run that is refused or a dry run still records itself (and its audit row).
BOOKKEEPING = {"import_run", "audit_event"}
SEEDED = {  # external ids already in the database before fuzzing starts
    "associations": ["FZ-A1"], "units": ["FZ-U1"], "persons": ["FZ-P1"],
    "meters": ["FZ-M1"],
}

json_scalars = (st.none() | st.booleans()
                | st.integers(min_value=-(10 ** 40), max_value=10 ** 40)
                | st.sampled_from([10 ** 400, -(10 ** 400), 2 ** 63, -(2 ** 63) - 1])
                | st.floats(allow_nan=True, allow_infinity=True)
                | st.text(max_size=40)
                | st.sampled_from(["1e999999", "-0", "NaN", "1,50", "12.345", "2025-02-30",
                                   "2025-13", "９９", "\x00", "‮rtl", "😀" * 5, " " * 3,
                                   "A" * 400, "0" * 30, "2025-01-31", "2025-01", "12.50"]))
json_values = st.recursive(json_scalars, lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(max_size=8), children, max_size=3),
                           max_leaves=8)


def _example(field) -> object:
    return (field.metadata or {}).get("example")


@st.composite
def rows(draw, dataset: str):
    """A row of ``dataset``: each field its documented example, a seeded reference, a random
    value, or left out; sometimes unknown fields; sometimes not an object at all."""
    spec = DATASETS[dataset]
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    row = {}
    for name, field in spec.schema._declared_fields.items():
        choice = draw(st.integers(0, 5))
        if choice == 0:
            continue
        if choice == 1:
            row[name] = draw(json_values)
        elif name == "external_id":
            row[name] = draw(st.text(min_size=1, max_size=12) | st.just("FZ-X"))
        elif name in spec.references:
            row[name] = draw(st.sampled_from(SEEDED.get(spec.references[name], ["nope"])
                                             + ["missing-ref"]))
        else:
            row[name] = _example(field)
    if draw(st.booleans()):
        row.update(draw(st.dictionaries(st.text(min_size=1, max_size=8), json_values,
                                        max_size=2)))
    return row


@st.composite
def bodies(draw):
    dataset = draw(st.sampled_from(ORDER + ("nope",)))
    row_list = draw(st.lists(rows(dataset if dataset in DATASETS else "units"), max_size=6))
    shape = draw(st.integers(0, 5))
    if shape == 0:
        document = row_list
    elif shape == 1:
        document = {"rows": row_list}
    elif shape == 2:
        document = {"dataset": draw(st.sampled_from([dataset, "units", 7, None])),
                    "rows": row_list}
    elif shape == 3:
        document = draw(json_values)
    elif shape == 4:
        document = {"rows": row_list, **draw(st.dictionaries(st.text(max_size=6),
                                                              json_values, max_size=2))}
    else:
        return dataset, draw(st.binary(max_size=200)), draw(st.booleans())
    return dataset, json.dumps(document, allow_nan=True).encode(), draw(st.booleans())


def _seed(client, headers) -> None:
    document = {"datasets": {
        "associations": [{"external_id": "FZ-A1", "name": "Wspólnota Fuzz",
                          "street": "ul. Losowa 1", "city": "Miasto"}],
        "units": [{"external_id": "FZ-U1", "association": "FZ-A1", "street": "ul. Losowa",
                   "building_number": "1", "unit_number": "1", "city": "Miasto"}],
        "persons": [{"external_id": "FZ-P1", "first_name": "Jan", "last_name": "Losowy"}],
        "meters": [{"external_id": "FZ-M1", "unit": "FZ-U1", "serial_number": "FZ-0001",
                    "kind": "cold_water"}],
    }}
    response = client.post("/api/v1/imports", json=document, headers=headers)
    assert response.status_code == 201, response.get_json()


def test_generated_bodies_never_500_and_refusals_never_write(world):
    client, headers = world.api(ZW)
    _seed(client, headers)
    tried, statuses = [], {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(bodies())
    def one(case):
        dataset, body, dry_run = case
        before = snapshot()
        response = client.post(f"/api/v1/imports/{dataset}", data=body,
                               query_string={"dry_run": "1"} if dry_run else {},
                               headers={**headers, "Content-Type": "application/json"})
        tried.append(1)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (200, 201, 400, 404, 422), (
            response.status_code, body[:300])
        answer = response.get_json()
        assert isinstance(answer, dict)
        changed = set(changed_tables(before, snapshot()))
        if response.status_code == 201:
            assert answer["status"] == "applied"
        else:
            assert changed <= BOOKKEEPING, (response.status_code, changed, body[:300])
        if response.status_code in (400, 422):
            assert answer["status"] == "rejected" and answer["errors"], answer

    one()
    print(f"\nFUZZ import API: {len(tried)} cases tried, answers {sorted(statuses.items())}")
    assert len(tried) >= EXAMPLES // 2
    assert set(statuses) & {400, 422}, statuses  # the generator does reach the refusals

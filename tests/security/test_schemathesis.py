"""Property-based API testing with schemathesis (v4) against the OpenAPI document the app
serves at /api/v1/openapi.json, in-process (WSGI), with a valid bearer token: no answer is a
server error and every documented answer matches its schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

HOST = "zielone-wzgorza.localhost"
EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, response_schema_conformance]


def test_every_operation_against_its_openapi_document(world, app):
    _, headers = world.api("zielone-wzgorza")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app,
                                            headers={"Host": HOST})
    tried: dict[str, int] = {}
    statuses: dict[int, int] = {}
    def run(operation) -> None:
        label = operation.label
        tried[label] = 0

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def one(case):
            response = case.call_and_validate(base_url=f"http://{HOST}/api/v1", headers=headers,
                                              checks=CHECKS)
            tried[label] += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        one()

    for result in schema.get_all_operations():
        run(result.ok())
    total = sum(tried.values())
    print(f"\nSCHEMATHESIS: {total} cases over {len(tried)} operations, answers "
          f"{sorted(statuses.items())}")
    assert len(tried) >= 4, tried  # imports (one and many), one run, the document itself
    assert all(count > 0 for count in tried.values()), tried

"""Property-based run of schemathesis against the app's own OpenAPI schema: generated requests (valid and invalid)
never get a 5xx, and every response conforms to the documented status codes, content types and schemas."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from movierec.api import create_app, load_recommender
from movierec.queries import Catalog

app = create_app()                      # the schema needs no data; the data is put in place by the fixture below
schema = schemathesis.openapi.from_dict(app.openapi())
schema.app = app                        # requests go to the app in-process (as `from_asgi` would set up)


@pytest.fixture(scope='module')
def loaded_app(clean_dir, model_dir):
    app.state.catalog = Catalog.load(clean_dir)
    app.state.recommender = load_recommender(model_dir, clean_dir)
    yield app
    app.state.catalog = app.state.recommender = None


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_openapi_conformance(case, loaded_app):
    # positive_data_acceptance is left out on purpose: a schema-valid string is not necessarily a known title, month
    # or genre, and year_min <= year_max is a cross-parameter rule that OpenAPI cannot express; those answer 404/422,
    # which are documented and checked by status_code_conformance.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])

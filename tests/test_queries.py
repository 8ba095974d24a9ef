"""The exact cost in queries of one full application, so later changes show theirs.

When a change moves these numbers, update them on purpose and say why in
the commit: the benchmark in bench/ compares the same run to bare viewflow.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import services
from tests import journey

# Per database: PostgreSQL adds viewflow's SELECT ... FOR UPDATE row locks,
# which SQLite (serialised by IMMEDIATE transactions instead) does not need.
EXPECTED = {
    # accept: +1 since its mail lists the reviewing departments with their due
    # dates and the deferred materials with theirs (2 reads), written in the
    # action's transaction from one fresh read of the application (1 fewer).
    # create, hand_in, submit: one query more for each of the investor's writes since
    # each checks that the applicant still acts for the enterprise (the registry's
    # legal representative, or a mandate in force: approvals.representation); create
    # 17, hand_in 27 (five writes), submit 22/23 before.
    # accept -1, reviews -3 since the roles are read once per user in one query
    # (approvals.roles) instead of two permission reads and one per department check.
    # Matters (issue 14), for the world's three matters: create +3 (the guide reads the
    # thing's matters, materials and the materials' matters; the matters are written in
    # one insert). accept +21, 7 a branch: each matter's branch passes its gate (a
    # viewflow task and one read of the states of what it needs) before its review,
    # which now also marks the matter in review. reviews +46: each approval now
    # settles its matter (a viewflow task, the review found through it with the matter,
    # application, enterprise and department joined, the matter written) and issues its
    # own outcome (licence, permit, step, audit: one permit for the whole application
    # before), and looks for matters waiting on it. accept +1: the acceptance mail reads
    # the matters left waiting for another (with what they need, only when there are).
    "sqlite": {"create": 21, "hand_in": 32, "submit": 23, "accept": 91, "reviews": 166},
    "postgresql": {"create": 21, "hand_in": 32, "submit": 24, "accept": 92, "reviews": 169},
}


@pytest.mark.django_db
def test_queries_of_one_full_application_run(world):
    counts = {}

    def phase(name, call):
        with CaptureQueriesContext(connection) as ctx:
            result = call()
        counts[name] = len(ctx.captured_queries)
        return result

    app = phase("create", lambda: journey.draft(world))
    phase("hand_in", lambda: journey.complete(world, app))
    phase("submit", lambda: services.application_submit(actor=world.investor, application=app))
    phase("accept", lambda: services.application_accept(actor=world.clerk, application=app))
    phase("reviews", lambda: journey.approve_all(world, app))
    assert app.status == "approved"
    assert counts == EXPECTED[connection.vendor]

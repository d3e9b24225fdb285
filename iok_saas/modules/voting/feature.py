"""Votes on resolutions: owners by share or members, paper ballots, a hash-chained record
(issue 17 §2). Depends on the document library's public interface for attachments."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="voting",
    mounts=(Mount(".blueprint:bp", "/konto/glosowania"),
            Mount(".staff_blueprint:bp", "/staff/glosowania")),
    tabs=(Tab("voting", "voting.index", _l("Głosowania")),),
    desks=(Tab("voting", "voting_staff.index", _l("Głosowania"), order=61),),
    tab_keys=("voting",),
    models=".models",
    demo=".demo:seed_demo",
    demo_order=70,
    tasks=".tasks",
    beat={"close-ended-votes": {"task": "voting.close_due", "schedule": 300.0},
          "send-vote-reminders": {"task": "voting.send_reminders", "schedule": 900.0}},
    cli=".cli:voting_cli",
    personal_data=".export:sections",
)

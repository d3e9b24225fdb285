"""Hypothesis strategies for valid policies, derived from the policy schema itself.

Every field of ``PolicySchema`` is turned into a strategy by its marshmallow type and
validators (switches, counts with their range, vocabularies, lists of a vocabulary, durations,
departments, texts, nested sections), so a key added to the language is generated without a
change here; a field of a type this module does not know fails loudly. A few fields whose
values the schema checks with custom code (tabs, enrolment steps, blocking rules, the
identifier pattern…) have their own strategies, and :func:`repair` then makes the cross-field
rules of ``policies/README.md`` hold. The result is a plain mapping ready for YAML.
"""

from __future__ import annotations

import yaml
from hypothesis import strategies as st
from marshmallow import fields, validate

from iok_saas.policy import schema as S

DEPARTMENTS = ("board", "finance", "technical", "secretariat", "membership",
               "customer_service")
"""Every generated tenant's manifest defines these, so any policy reference resolves."""

TEXTS = ("Saldo ma charakter informacyjny.", "Pytania prosimy kierować do biura.",
         "Zasady spółdzielni, rozdział 2, punkt 3.", "Regulamin z dnia 1 marca 2026 r.",
         "Dane osobowe przetwarza administrator zgodnie z RODO.", "Wersja 7")
SPECIALS = "!#$%&*+-=?@_"
COUNT_SPAN = 5
"""Open-ended counts (a threshold ≥ 1) are drawn from their minimum up to this far above."""
LENGTH_SPAN = 40

Path = tuple[str, ...]


DURATION_UNITS = ("m", "h", "d")
"""Seconds are left out: a lock, a link or a session of a few seconds would run out while
the suite is still checking it."""


def durations() -> st.SearchStrategy[str]:
    return st.builds(lambda n, unit: f"{n}{unit}", st.integers(1, 90),
                     st.sampled_from(DURATION_UNITS))


def identifier_formats() -> st.SearchStrategy[str]:
    """Patterns of 4–8 random positions with a literal prefix or separator now and then."""
    random_part = st.lists(st.sampled_from(tuple(S.IDENTIFIER_RANDOM)), min_size=4,
                           max_size=8).map("".join)
    prefix = st.sampled_from(("", "", "B-", "K", "A.", "x_"))
    return st.builds(lambda p, r: p + r, prefix, random_part)


def tab_settings() -> st.SearchStrategy[dict]:
    """``tabs`` and ``home`` over every tab known now (features register theirs)."""
    known = S.known_tabs()
    shown = st.lists(st.sampled_from(known), min_size=1, max_size=len(known), unique=True)

    def split(draw_tabs, panels, with_home):
        if not with_home:
            return {"tabs": draw_tabs, "home": []}
        return {"tabs": [S.HOME, *draw_tabs], "home": panels}

    panels = st.lists(st.sampled_from(known), min_size=1, max_size=5, unique=True)
    return st.builds(split, shown, panels, st.booleans())


def enrolment_steps() -> st.SearchStrategy[list[str]]:
    """The manager creates every account, or one or more filing steps followed by any
    subsequence of the later steps in the order ``ENROLMENT_STEPS`` gives them."""
    later = [s for s in S.ENROLMENT_STEPS if s not in S.FILING_STEPS and s != "manager_creates"]
    application = st.builds(
        lambda filing, rest: [s for s in S.FILING_STEPS if s in filing]
        + [s for s in later if s in rest],
        st.sets(st.sampled_from(S.FILING_STEPS), min_size=1),
        st.sets(st.sampled_from(later)))
    return st.one_of(st.just(["manager_creates"]), application, application)


def block_rules() -> st.SearchStrategy[list[dict]]:
    """At most one rule per trigger, each generated from its trigger's own schema."""
    def rule(trigger: str) -> st.SearchStrategy[dict]:
        return for_schema(S.RULE_SCHEMAS[trigger](), ("blocking", "rules", trigger)).map(
            lambda body: {**body, "trigger": trigger})

    return st.lists(st.sampled_from(S.BLOCK_TRIGGERS), unique=True).flatmap(
        lambda triggers: st.tuples(*(rule(t) for t in triggers)).map(list))


def document_categories() -> st.SearchStrategy[list[dict]]:
    keys = st.lists(st.sampled_from(("uchwaly", "plany", "statut", "protokoly", "inne")),
                    unique=True, max_size=3)
    return keys.map(lambda ks: [{"key": k, "name": k.capitalize()} for k in ks])


OVERRIDES: dict[Path, st.SearchStrategy] = {
    ("identifier", "format"): identifier_formats(),
    ("enrolment", "steps"): enrolment_steps(),
    ("blocking", "rules"): block_rules(),
    ("password", "forbidden_characters"): st.sets(st.sampled_from(SPECIALS), max_size=3).map(
        lambda chars: "".join(sorted(chars))),
    ("documents", "categories"): document_categories(),
    ("ledger", "components"): st.lists(st.sampled_from(("rent", "loan", "fund", "water")),
                                       unique=True, max_size=2),
}
SKIPPED = {("extends",), ("tabs",), ("home",)}
"""``extends`` is not needed (each policy is complete); tabs and home come in a pair."""


def _validator(field: fields.Field, kind: type):
    checks = field.validators if isinstance(field.validators, list) else [field.validators]
    return next((v for v in checks if isinstance(v, kind)), None)


def for_field(field: fields.Field, path: Path) -> st.SearchStrategy:
    """The values ``field`` accepts, by its type and validators."""
    strategy = OVERRIDES[path] if path in OVERRIDES else _by_type(field, path)
    if field.allow_none:
        strategy = st.one_of(st.none(), strategy)
    return strategy


def _by_type(field: fields.Field, path: Path) -> st.SearchStrategy:
    if isinstance(field, fields.Nested):
        return for_schema(field.schema, path)
    if isinstance(field, S.Flag):
        return st.booleans()
    if isinstance(field, S.Duration):
        span = _validator(field, validate.Range)
        if span is not None:  # whole days inside the field's range
            return st.integers(max(span.min.days, 1), min(span.max.days, 90)).map(
                lambda days: f"{days}d")
        return st.one_of(durations(), st.just(S.UNTIL_UNLOCKED)) if field.until_unlocked \
            else durations()
    if isinstance(field, S.Department):
        return st.sampled_from(DEPARTMENTS)
    if isinstance(field, fields.Integer):
        span = _validator(field, validate.Range)
        low = span.min if span and span.min is not None else 0
        high = span.max if span and span.max is not None else low + COUNT_SPAN
        return st.integers(low, min(high, low + LENGTH_SPAN))
    if isinstance(field, fields.List):
        return _list(field, path)
    if isinstance(field, fields.String):
        choices = _validator(field, validate.OneOf)
        return st.sampled_from(tuple(choices.choices)) if choices else st.sampled_from(TEXTS)
    raise TypeError(f"{'.'.join(path)}: no strategy for {type(field).__name__}; "
                    "teach tests/conformance/strategies.py this field type")


def _list(field: fields.List, path: Path) -> st.SearchStrategy:
    size = _validator(field, validate.Length)
    low = size.min if size and size.min is not None else 0
    inner = field.inner
    if isinstance(inner, S.Department):
        return st.lists(st.sampled_from(DEPARTMENTS), unique=True, min_size=low, max_size=3)
    choices = _validator(inner, validate.OneOf)
    if choices is None:
        raise TypeError(f"{'.'.join(path)}: no strategy for a list of "
                        f"{type(inner).__name__}; add one to OVERRIDES")
    values = tuple(choices.choices)
    return st.lists(st.sampled_from(values), unique=True, min_size=max(low, 0),
                    max_size=len(values))


def for_schema(schema, path: Path = ()) -> st.SearchStrategy[dict]:
    """A mapping with every required key and any of the optional ones."""
    required, optional = {}, {}
    for name, field in schema.fields.items():
        key_path = (*path, name)
        if key_path in SKIPPED or isinstance(field, S.Renamed) or field.dump_only:
            continue
        target = required if field.required else optional
        target[name] = for_field(field, key_path)
    return st.fixed_dictionaries(required, optional=optional)


def policies() -> st.SearchStrategy[dict]:
    """Complete, valid policies (no ``extends``): the schema's values, then :func:`repair`."""
    return st.builds(lambda body, tabs: repair({**body, **tabs}),
                     for_schema(S.PolicySchema()), tab_settings())


def to_yaml(policy: dict) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(policy, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)


# --- the cross-field rules -------------------------------------------------------------------

def repair(policy: dict) -> dict:
    """Make the cross-field rules hold, each the simplest way (see policies/README.md)."""
    for fix in (_password, _initial_password, _enrolment, _blocking, _revocation, _tabs,
                _notifications, _notices, _session):
        fix(policy)
    return policy


def _password(policy: dict) -> None:
    rules = policy["password"]
    rules["max_length"] = max(rules["max_length"], rules["min_length"],
                              sum(rules["require"].values()))
    mix = rules["classes"]
    mix["at_least"] = min(mix["at_least"], len(mix["of"]))
    waivers = dict(rules.get("below_platform_floor") or {})
    below = dict(S.below_floor_reasons(rules))
    for rule in ("min_length", "login", "name"):
        if rule in below:
            waivers[rule] = waivers.get(rule) or "Zasady spółdzielni, punkt 2"
        else:
            waivers.pop(rule, None)
    rules["below_platform_floor"] = {k: v for k, v in waivers.items() if v} or None


def _initial_password(policy: dict) -> None:
    initial = policy["initial_password"]
    if initial["one_time"]:
        initial["change_on_first_login"] = True
    if "in_person_pickup" in policy["enrolment"]["steps"]:
        initial["delivery"] = "printed_letter_in_person"


def _enrolment(policy: dict) -> None:
    enrolment = policy["enrolment"]
    steps = enrolment["steps"]
    if "electronic_form" not in steps and "confirm_email" in steps:
        steps.remove("confirm_email")
    if "in_person_pickup" not in steps and "schedule_pickup" in steps:
        steps.remove("schedule_pickup")
    if steps != ["manager_creates"] and not set(steps) & S.ACCOUNT_STEPS:
        steps.append("staff_review")
        steps.sort(key=S.ENROLMENT_STEPS.index)
    channels = enrolment["channels"]
    if steps == ["manager_creates"]:
        enrolment["channels"] = []
        return
    wanted = [c for step in steps for c in S.STEP_CHANNELS.get(step, ())]
    kept = [c for c in channels if c in wanted]
    for step in steps:
        accepted = S.STEP_CHANNELS.get(step, ())
        if accepted and not set(accepted) & set(kept):
            kept.append(accepted[0])
    enrolment["channels"] = kept
    if "notify_account_ready" in steps and not enrolment["notify_by"]:
        enrolment["notify_by"] = ["email"]


def _blocking(policy: dict) -> None:
    blocking = policy["blocking"]
    self_service = set(S.SELF_SERVICE_UNBLOCK)
    blocking["unblock_by"] = [m for m in blocking["unblock_by"] if m not in self_service] \
        or ["staff_unblock"]
    for rule in blocking["rules"]:
        if rule["trigger"] != "failed_logins" and rule.get("unblock"):
            rule["unblock"] = [m for m in rule["unblock"] if m not in self_service] or None


def _revocation(policy: dict) -> None:
    revocation, rules = policy["revocation"], policy["blocking"]["rules"]
    triggers = {rule["trigger"] for rule in rules}
    if "title_ended" in triggers:
        revocation["auto_on_title_end"] = False
    if revocation["channels"]:
        revocation["reasons"] = revocation["reasons"] or ["sale"]
        revocation["choices"] = revocation["choices"] or ["remove_permanently"]
    if "block" in revocation["choices"] and "written_request" not in triggers:
        rules.append({"trigger": "written_request", "action": "block_now"})


def _tabs(policy: dict) -> None:
    shown = set(policy["tabs"]) | set(policy["home"])
    if "meter_submission" in shown and "water_meters" not in shown:
        policy["tabs"].append("water_meters")


def _notifications(policy: dict) -> None:
    enrolment, notifications = policy["enrolment"], policy["notifications"]
    links = {"confirm_email": "email_confirmation", "notify_account_ready": "account_ready",
             "schedule_pickup": "pickup_scheduled"}
    for step, kind in links.items():
        if step in enrolment["steps"]:
            notifications[kind] = True
    if (enrolment.get("activation_codes") or {}).get("enabled"):
        notifications["email_confirmation"] = True  # the code's registration confirms it
    if "phone" in enrolment["notify_by"] and not notifications.get("phone_fallback"):
        notifications["phone_fallback"] = DEPARTMENTS[0]


def _notices(policy: dict) -> None:
    notices = policy["notices"]
    shown = set(policy["tabs"]) | set(policy["home"])
    if "ledger" in shown and not notices.get("balance_disclaimer"):
        notices["balance_disclaimer"] = TEXTS[0]
    if policy["ledger"]["lag_disclaimer"] and not notices.get("balance_lag"):
        notices["balance_lag"] = TEXTS[1]


def _session(policy: dict) -> None:
    session = policy["session"]
    idle, absolute = (S.parse_duration(session[k]) for k in ("idle_timeout", "absolute_timeout"))
    if idle > absolute:
        session["idle_timeout"], session["absolute_timeout"] = (session["absolute_timeout"],
                                                                session["idle_timeout"])

"""What a browser test does on every page: a screenshot in a known folder, an axe-core
check and a width check (the page must not be wider than the window), findings kept per
area (resident, staff and operator pages reported separately)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

# At the root of the checkout (not of an installed package), where CI collects artifacts.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
EVERY_IMPACT = ("minor", "moderate", "serious", "critical")
AREAS = ("resident", "staff", "operator")
VIEWPORT = {"width": 1280, "height": 900}

# Runs inside the page (page.evaluate is not subject to the app's CSP; a <script> tag is).
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return {
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                                summary: n.failureSummary})),
    })),
    // Rules that ran and passed, and those axe could not decide (to review by hand).
    passed: result.passes.map(r => r.id),
    incomplete: result.incomplete.map(r => ({
      id: r.id, impact: r.impact,
      nodes: r.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                                summary: n.failureSummary})),
    })),
  };
}"""

# Whether the page is wider than the window and, when it is, the elements that stick out
# furthest on the right (those inside their own scroll container excepted: they scroll
# there), the deepest one first for equal edges, each named by a short CSS path.
OVERFLOW = """() => {
  const width = window.innerWidth, scroll = document.documentElement.scrollWidth;
  if (scroll <= width) return {scrollWidth: scroll, innerWidth: width, culprits: []};
  const name = (el) => {
    let part = el.tagName.toLowerCase();
    if (el.id) return part + '#' + el.id;
    const classes = [...el.classList].slice(0, 3);
    if (classes.length) part += '.' + classes.join('.');
    return part;
  };
  const path = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 5;
         node = node.parentElement) {
      parts.unshift(name(node));
      if (node.id) break;
    }
    return parts.join(' > ');
  };
  const scrolls = (el) => {
    for (let node = el.parentElement; node && node !== document.body;
         node = node.parentElement) {
      if (getComputedStyle(node).overflowX !== 'visible') return true;
    }
    return false;
  };
  const depth = (el) => { let n = 0; for (; el; el = el.parentElement) n++; return n; };
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.right <= width + 1 || scrolls(el)) continue;
    found.push({selector: path(el), right: Math.round(rect.right),
                width: Math.round(rect.width), depth: depth(el)});
  }
  found.sort((a, b) => b.right - a.right || b.depth - a.depth);
  return {scrollWidth: scroll, innerWidth: width, culprits: found.slice(0, 3)};
}"""

# The focused element, and whether it shows a focus indicator (outline or box-shadow).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id || null, name: el.getAttribute('name'),
    type: el.getAttribute('type'), cls: el.className || '', href: el.getAttribute('href'),
    text: (el.innerText || el.value || '').trim().slice(0, 60),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
             ? `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}` : null,
    shadow: style.boxShadow !== 'none' ? style.boxShadow : null,
    onScreen: rect.width > 0 && rect.height > 0 && rect.right > 0 && rect.bottom > 0
              && rect.left < window.innerWidth && rect.top < window.innerHeight,
  };
}"""


def ends_at(path: str) -> re.Pattern:
    """A URL pattern for ``path`` (a fragment such as #content may follow: a browser keeps
    the skip link's fragment through the redirects after a form)."""
    return re.compile(re.escape(path) + r"(#[\w-]*)?$")


def slug_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Visitor:
    """One scenario's browsers, screenshots and accessibility findings."""

    def __init__(self, browser, axe_source: str, scenario: str):
        self.browser = browser
        self.axe_source = axe_source
        self.folder = ARTIFACTS / scenario
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0
        self.findings: dict[str, dict[str, dict]] = {area: {} for area in AREAS}
        # Pages wider than the window: label -> {url, scrollWidth, innerWidth, culprits}.
        self.overflows: dict[str, dict] = {}
        self._contexts = []

    def new_page(self, viewport: dict | None = None):
        """A separate browser (its own cookies), Polish, desktop-sized unless told."""
        context = self.browser.new_context(viewport=viewport or VIEWPORT, locale="pl-PL",
                                           accept_downloads=True)
        self._contexts.append(context)
        return context.new_page()

    def close(self) -> None:
        for context in self._contexts:
            context.close()

    # --- every page --------------------------------------------------------------------

    def check(self, page, name: str, area: str = "resident") -> str:
        """Screenshot ``page`` as <nn>-<name>.png, note whether it is wider than the window
        and run axe-core on it."""
        assert area in self.findings
        page.wait_for_load_state("load")
        self.count += 1
        label = f"{self.count:02d}-{slug_name(name)}"
        fit = page.evaluate(OVERFLOW)
        if fit["scrollWidth"] > fit["innerWidth"]:
            self.overflows[label] = {"url": page.url, **fit}
        page.screenshot(path=str(self.folder / f"{label}.png"), full_page=True)
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe_source)
        result = page.evaluate(AXE_RUN, AXE_TAGS)
        assert result["passed"], f"axe-core ran no rule on {page.url}"
        self.findings[area][label] = {"url": page.url, **result}
        (self.folder / "axe-report.json").write_text(
            json.dumps(self.findings, indent=2, ensure_ascii=False), encoding="utf-8")
        return label

    def snapshot(self, page, name: str) -> None:
        """A screenshot only (the page was checked already): e.g. to show a focus ring."""
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{slug_name(name)}.png"))

    def blocking(self, area: str, impacts: tuple[str, ...] = BLOCKING) -> dict[str, list[dict]]:
        found = {}
        for label, page in self.findings[area].items():
            serious = [v for v in page["violations"] if v["impact"] in impacts]
            if serious:
                found[f"{label} ({page['url']})"] = serious
        return found

    def assert_accessible(self, impacts: tuple[str, ...] = BLOCKING) -> None:
        """No axe-core violation of ``impacts`` (serious and critical unless told) on any
        resident, staff or operator page (each area reported on its own), and no page wider
        than its window."""
        problems = []
        for area in AREAS:
            found = self.blocking(area, impacts)
            if found:
                problems.append(f"== {area} pages: {'/'.join(impacts)} axe-core violations ==\n"
                                + describe(found))
        if self.overflows:
            problems.append("== pages wider than the window ==\n"
                            + describe_overflows(self.overflows))
        if problems:
            pytest.fail("\n".join(problems) + f"\n(full report: {self.folder}/axe-report.json)",
                        pytrace=False)

    def pages_checked(self, area: str) -> int:
        return len(self.findings[area])


def describe_overflows(overflows: dict[str, dict]) -> str:
    lines = []
    for label, found in overflows.items():
        lines.append(f"{label} ({found['url']}): {found['scrollWidth']} px wide in a "
                     f"{found['innerWidth']} px window")
        for culprit in found["culprits"]:
            lines.append(f"    - {culprit['selector']} (right edge at {culprit['right']} px, "
                         f"{culprit['width']} px wide)")
    return "\n".join(lines)


def describe(found: dict[str, list[dict]]) -> str:
    lines = []
    for page, violations in found.items():
        lines.append(page)
        for v in violations:
            lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
            for node in v["nodes"][:6]:
                lines.append(f"    - {node['target']}: {node['html'][:200]}")
                for summary in (node["summary"] or "").splitlines()[:4]:
                    lines.append(f"        {summary}")
            if len(v["nodes"]) > 6:
                lines.append(f"    … and {len(v['nodes']) - 6} more elements")
    return "\n".join(lines)


# --- keyboard ------------------------------------------------------------------------------

def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab(page) -> dict:
    """Press Tab; the newly focused element, which must show a focus indicator."""
    page.keyboard.press("Tab")
    element = focused(page)
    assert element is not None, "Tab left the focus nowhere"
    assert element["outline"] or element["shadow"], f"no visible focus indicator: {element}"
    assert element["onScreen"], f"focused element is off screen: {element}"
    return element


def tab_to(page, predicate, limit: int = 15) -> list[dict]:
    """Tab until ``predicate(element)``; every element passed on the way (the last one
    matches)."""
    walked = []
    for _ in range(limit):
        element = tab(page)
        walked.append(element)
        if predicate(element):
            return walked
    raise AssertionError(f"not reached in {limit} Tab presses; focus went: "
                         + " -> ".join(describe_focus(e) for e in walked))


def type_credentials_by_keyboard(page, login: str, password: str) -> None:
    """On a freshly loaded login page: the skip link takes the first Tab, only header links
    come before the login field; type the login, Tab to the password and type it."""
    first = tab(page)
    assert "skip-link" in first["cls"] and first["href"] == "#content", first
    walk = tab_to(page, lambda e: e["id"] == "login")
    assert all(e["tag"] == "a" for e in walk[:-1]), [describe_focus(e) for e in walk]
    page.keyboard.type(login)
    assert tab(page)["id"] == "password"
    page.keyboard.type(password)


def describe_focus(element: dict) -> str:
    return (f"{element['tag']}#{element['id']}" if element["id"]
            else f"{element['tag']}[{element['text'] or element['href']}]")


def type_second_factor(page, secret: str) -> None:
    """On the second-step page after a correct password: type the code an authenticator app
    holding ``secret`` shows now, as a person would, and submit."""
    from iok_saas.modules.mfa import totp
    from iok_saas.timeutil import utcnow

    page.wait_for_url(re.compile(r"/logowanie/drugi-krok/$"))
    page.fill("#code", totp.code_for_step(secret, totp.step_at(utcnow())))
    page.click("main form [type=submit]")


def sign_in_resident(page, url, login: str, password: str) -> None:
    """Sign a resident in on the tenant site (``url(path)`` builds its addresses)."""
    page.goto(url("/logowanie"))
    page.fill("#login", login)
    page.fill("#password", password)
    with page.expect_navigation(url=url("/konto")):
        page.click("main form [type=submit]")


def sign_in_staff(page, url, login: str, password: str, secret: str) -> None:
    """Sign a staff member in: password, then the authenticator's code; the staff start page."""
    page.goto(url("/staff/logowanie"))
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("main form [type=submit]")
    type_second_factor(page, secret)
    page.wait_for_url(url("/staff/"))

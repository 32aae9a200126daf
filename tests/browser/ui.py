"""Helpers for browser tests that run on several viewports and in both languages (see `ui_page`)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import polib
from django.conf import settings

HAN = re.compile(r"[\u3400-\u9fff]+")
# A word as it stands on the page: Chinese characters with the letters and digits they touch, so
# data such as a channel called "渠道1" is not mistaken for the UI word "渠道".
WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9]*[\u3400-\u9fff][\u3400-\u9fffA-Za-z0-9]*")


def tr(page, zh: str, en: str) -> str:
    """The text a screen shows in the page's language; written out, so an untranslated label fails."""
    return en if page.language == "en" else zh


@functools.cache
def _catalogue_phrases() -> frozenset[str]:
    """Every run of Chinese characters in the source strings of the project's catalogues."""
    phrases: set[str] = set()
    for po_path in Path(settings.BASE_DIR).glob("**/locale/en/LC_MESSAGES/django.po"):
        if ".venv" in po_path.parts:
            continue
        for entry in polib.pofile(str(po_path)):
            if entry.obsolete:
                continue
            runs = HAN.findall(entry.msgid)
            # A whole Chinese msgid, or a part of two characters or more around its placeholders.
            phrases.update(run for run in runs if len(runs) == 1 or len(run) >= 2)
    return frozenset(phrases)


def untranslated_on(page) -> list[str]:
    """Chinese UI phrases (source strings of the catalogues) visible on an English page."""
    # Each visible text node on its own, so words of neighbouring elements are not run together.
    text = page.evaluate(
        """() => {
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          const parts = [];
          while (walker.nextNode()) {
            const el = walker.currentNode.parentElement;
            if (el && el.getClientRects().length && getComputedStyle(el).visibility !== "hidden") {
              parts.push(walker.currentNode.nodeValue);
            }
          }
          return parts.join("\\n");
        }"""
    )
    phrases = _catalogue_phrases()
    return sorted({word for word in WORD.findall(text) if word in phrases})


def screen(page, name: str, *, data: tuple[str, ...] = (), photo: bool = True) -> Path:
    """Photograph the screen and check what every screen must satisfy on its viewport and language.

    On a phone nothing may stick out sideways (wide tables scroll in their own box); in English no
    Chinese UI text may be left. `data` names Chinese phrases on the page that are data, not UI,
    though a catalogue has them too: names an administrator typed, or a history note stored in the
    language of whoever made the record. The picture goes to the test's tmp_path.
    """
    page.wait_for_load_state("load")
    path = Path(page.shots) / f"{name}-{page.viewport_name}-{page.language}.png"
    if photo:  # a full-page picture costs about a second
        page.screenshot(path=str(path), full_page=True)
    if page.viewport_name == "phone":
        overflow = page.evaluate(
            """() => {
              const width = document.documentElement.clientWidth;
              return [...document.querySelectorAll("body *")]
                .filter(el => !el.closest(".table-wrap, .chart, pre"))
                .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > width + 1; })
                .slice(0, 5)
                .map(el => `${el.tagName.toLowerCase()}${el.className ? "." + el.className : ""}: ${el.getBoundingClientRect().right}px`);
            }"""
        )
        assert not overflow, f"{name}: wider than the phone ({page.viewport_size['width']}px): {overflow}"
    if page.language == "en":
        assert page.locator("html").get_attribute("lang") == "en", f"{name}: not served in English"
        left = [phrase for phrase in untranslated_on(page) if phrase not in data]
        assert not left, f"{name}: Chinese UI text on the English page: {left}"
    return path


def nav(page, href: str) -> None:
    """Follow the main navigation to `href`; on a phone the menu opens first, as a person would do it."""
    link = page.locator(f'#mainnav a[href="{href}"]')
    if page.viewport_name == "phone":
        assert not link.is_visible(), "the phone menu should start closed"
        page.click("[data-toggle-nav]")
    link.click()
    page.wait_for_url(f"**{href}")

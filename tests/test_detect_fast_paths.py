"""The page check's fast paths give what the general code they stand in for gives, on any text."""

from __future__ import annotations

from hypothesis import example, given, strategies as st

from mre_crawler.parsers import detect

# Pieces of the bot-check phrases, LiveRC titles and case/Unicode traps (the Kelvin sign folds to
# "k", the long s to "s", dotted capital I lowers to two characters), glued at random.
PIECES = st.sampled_from([
    "just a moment", "Just A Moment...", "attention required", "checking your browser", "please wait", "...",
    " | ", "|", "cloudflare", "CloudFlare", "captcha", "reCAPTCHA", "ddos-guard", "DDoS-Guard", "access denied",
    "are you a ", "human", "robot", "are you a robot", "security check", "bot verification", "Bot Verification",
    "LiveRC", " :: ", "Broadcast and Results", "Practice Session for ", "Club Day 9", "Triple A-Main Results",
    "\u212a", "\u017f", "\u0130", "é", "ß", " ", "\t", "\n", "a", "s", "k", "i",
])
TITLES = st.one_of(st.lists(PIECES, max_size=8).map("".join), st.text(max_size=40))


@given(TITLES)
@example("chec\u212aing your browser")  # IGNORECASE folds the Kelvin sign to k; lower() does not
@example("ddo\u017f-guard :: LiveRC")  # and the long s to s
@example("LiveRC :: reCAPTCHA")
def test_bot_title_check_is_the_regex(title) -> None:
    assert detect.is_bot_title(title) == (detect._BOT_TITLE.search(title) is not None)


TITLE_PIECES = st.sampled_from([
    "LiveRC", " :: ", "::", "Broadcast and Results", "broadcast  and results", "Archived Results", "Entry List",
    "Practice Sessions for ", "Practice Sessions on ", "Practice Session for ", "Qual Points", "QUAL POINTS",
    "LiveRC :: Watch Live R/C Car Racing", "Practice", " ", "  ", "\t", "\u0130", "x", "October 2025",
])


@given(st.one_of(st.lists(TITLE_PIECES, max_size=7).map("".join), st.text(max_size=30)))
def test_title_type_of_a_collapsed_title_is_type_from_title(raw) -> None:
    # check_not_error_page reads the title already collapsed, then only lowers it.
    collapsed = " ".join(raw.split())
    assert detect._type_from_lower(collapsed.lower()) == detect.type_from_title(raw)


QUERY_PIECES = st.sampled_from(["p", "id", "d", "o", "=", "&", "&&", "==", "%", "%20", "%zz", "+", ";", "view_event",
                                "123", "", "2025-11", "é", " ", "#", "?"])


@given(st.one_of(st.lists(QUERY_PIECES, max_size=10).map("".join), st.text(max_size=30)))
@example("p=view_event&id=&id=7&p=")
@example("=5&a==b&c&p=view_event&p=view_race_result")
def test_query_values_are_parse_qs_last_values(query) -> None:
    from urllib.parse import parse_qs

    from mre_crawler.urls import query_values

    expected = {k: v[-1] for k, v in parse_qs(query).items()}
    got = query_values(query)
    assert got == expected and list(got) == list(expected)

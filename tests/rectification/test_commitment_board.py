"""The public commitment board (承诺公示): a leader publishes, anyone reads; nothing personal leaves."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from govservice.exceptions import NotFound, NotPermitted, ValidationFailed
from rectification import services
from rectification.board import public_wording, weighted_progress
from rectification.models import Measure, ProblemEvent
from tests.factories.rectification import MeasureFactory, ProblemFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def board_url(centre) -> str:
    return reverse("board:commitments", args=[centre.code])


def publish(problem, leader, text="三个月内完成窗口服务规范培训并考核。"):
    return services.commitment_publish(problem_id=problem.id, actor=leader, commitment=text)


def test_a_problem_is_not_public_until_a_leader_publishes_it(client, problem, leader):
    page = client.get(board_url(problem.centre))
    assert page.status_code == 200
    assert problem.code not in page.content.decode()
    publish(problem, leader)
    page = client.get(board_url(problem.centre)).content.decode()
    assert problem.code in page
    assert "三个月内完成窗口服务规范培训并考核。" in page


def test_the_board_shows_category_measures_weights_progress_deadline_status(client, centre, leader, responsible):
    problem = ProblemFactory(centre=centre, responsible_leader=leader, responsible_person=responsible)
    MeasureFactory(problem=problem, owner=responsible, description="制定首问负责细则", weight=3, progress=50)
    MeasureFactory(problem=problem, owner=responsible, description="开展礼仪培训", weight=1, progress=10)
    publish(problem, leader)
    data = client.get(reverse("board:commitments-json", args=[centre.code])).json()
    (item,) = data["items"]
    assert item["category"] == "attitude"
    assert item["status"] == "open"
    assert [(m["description"], m["weight"], m["progress"]) for m in item["measures"]] == [
        ("制定首问负责细则", 3, 50),
        ("开展礼仪培训", 1, 10),
    ]
    assert item["progress"] == round((3 * 50 + 1 * 10) / 4)
    assert item["deadline"] == max(m.deadline for m in Measure.objects.filter(problem=problem)).isoformat()
    assert item["closed_on"] is None


def test_nothing_personal_and_no_staff_names_leave(client, centre, leader, responsible):
    responsible.name = "王小明"
    responsible.save(update_fields=["name"])
    problem = ProblemFactory(centre=centre, responsible_leader=leader, responsible_person=responsible)
    MeasureFactory(problem=problem, owner=responsible, description="王小明 每周回访，电话１３８ ００００ ５６７８")
    publish(problem, leader, text=f"由{leader.name}督办，王小明负责")
    for response in (
        client.get(board_url(centre)),
        client.get(reverse("board:commitments-feed", args=[centre.code])),
        client.get(reverse("board:commitments-json", args=[centre.code])),
    ):
        body = response.content.decode()
        assert "王小明" not in body
        assert leader.name not in body
        assert "１３８ ００００" not in body  # the phone number is masked in every spelling
        if "atom" not in response["Content-Type"]:  # the feed carries no measures
            assert "１３８****５６７８" in body
        assert responsible.username not in body


def test_withdrawing_removes_it_from_page_feed_and_json_and_records_who(client, problem, leader):
    publish(problem, leader)
    services.commitment_withdraw(problem_id=problem.id, actor=leader, reason="整改内容调整")
    assert problem.code not in client.get(board_url(problem.centre)).content.decode()
    feed = ET.fromstring(client.get(reverse("board:commitments-feed", args=[problem.centre.code])).content)  # noqa: S314 - our own feed
    assert feed.findall(f"{ATOM}entry") == []
    assert client.get(reverse("board:commitments-json", args=[problem.centre.code])).json()["items"] == []
    kinds = list(ProblemEvent.objects.filter(problem=problem).values_list("kind", "actor"))
    assert (ProblemEvent.Kind.PUBLISHED, leader.id) in kinds
    assert (ProblemEvent.Kind.WITHDRAWN, leader.id) in kinds


def test_the_feed_is_atom_with_one_entry_per_public_problem(client, centre, leader, responsible):
    problems = [
        ProblemFactory(centre=centre, responsible_leader=leader, responsible_person=responsible) for _ in range(3)
    ]
    for p in problems[:2]:
        publish(p, leader)
    response = client.get(reverse("board:commitments-feed", args=[centre.code]))
    assert response["Content-Type"].startswith("application/atom+xml")
    entries = ET.fromstring(response.content).findall(f"{ATOM}entry")  # noqa: S314 - our own feed
    titles = sorted(e.find(f"{ATOM}title").text.split(" · ")[0] for e in entries)
    assert titles == sorted(p.code for p in problems[:2])


def test_json_is_readable_from_the_centres_website(client, problem, leader):
    publish(problem, leader)
    response = client.get(reverse("board:commitments-json", args=[problem.centre.code]))
    assert response["Access-Control-Allow-Origin"] == "*"
    assert json.loads(response.content)["centre"]["code"] == problem.centre.code


def test_other_centres_problems_are_not_on_the_board(client, problem, leader, other_centre, other_leader):
    other = ProblemFactory(centre=other_centre, responsible_leader=other_leader, responsible_person=other_leader)
    publish(problem, leader)
    publish(other, other_leader)
    codes = [
        i["code"] for i in client.get(reverse("board:commitments-json", args=[problem.centre.code])).json()["items"]
    ]
    assert codes == [problem.code]


def test_an_unknown_centre_is_404(client):
    assert client.get(reverse("board:commitments", args=["nope"])).status_code == 404


def test_the_public_page_has_no_internal_chrome(client, problem, leader, window_staff):
    publish(problem, leader)
    client.force_login(window_staff, backend="django.contrib.auth.backends.ModelBackend")
    body = client.get(board_url(problem.centre)).content.decode()
    assert window_staff.name not in body
    assert reverse("logout") not in body
    assert 'class="sidenav"' not in body


def test_only_a_leader_of_the_centre_publishes(problem, responsible, other_leader, city_leader):
    with pytest.raises(NotPermitted):
        publish(problem, responsible)
    with pytest.raises(NotFound):  # another centre's problem is not even found
        publish(problem, other_leader)
    assert publish(problem, city_leader).problem_id == problem.id


def test_an_empty_commitment_is_refused_beside_the_field(problem, leader):
    with pytest.raises(ValidationFailed) as error:
        publish(problem, leader, text="   ")
    assert error.value.field == "commitment"


def test_publishing_twice_is_one_row_and_rewording_is_recorded(problem, leader):
    publish(problem, leader)
    publish(problem, leader)
    assert ProblemEvent.objects.filter(problem=problem, kind=ProblemEvent.Kind.PUBLISHED).count() == 1
    publish(problem, leader, text="新的承诺")
    event = ProblemEvent.objects.filter(problem=problem, kind=ProblemEvent.Kind.PUBLISHED).last()
    assert event.changes["commitment"][1] == "新的承诺"


def test_the_leader_previews_then_confirms(as_user, problem, leader, client):
    url = reverse("rectification:problem-publish", args=[problem.id])
    browser = as_user(leader)
    preview = browser.post(url, {"commitment": "一个月内整改到位", "action": "preview"})
    assert preview.status_code == 200
    assert 'data-testid="publish-preview"' in preview.content.decode()
    assert not client.get(reverse("board:commitments-json", args=[problem.centre.code])).json()["items"]
    done = browser.post(url, {"commitment": "一个月内整改到位", "confirm": "yes"})
    assert done.status_code == 302
    assert browser.get(reverse("board:commitments-json", args=[problem.centre.code])).json()["items"]


def test_withdrawal_needs_its_confirmation(as_user, problem, leader):
    publish(problem, leader)
    url = reverse("rectification:problem-publish", args=[problem.id])
    browser = as_user(leader)
    asked = browser.post(url, {"action": "withdraw"})
    assert 'data-testid="withdraw-confirm-form"' in asked.content.decode()
    assert problem.public_commitment  # still public
    browser.post(url, {"action": "withdraw", "confirm": "yes"})
    assert ProblemEvent.objects.filter(problem=problem, kind=ProblemEvent.Kind.WITHDRAWN, actor=leader).exists()


def test_staff_who_may_not_publish_get_404_on_the_screen(as_user, problem, responsible):
    assert as_user(responsible).get(reverse("rectification:problem-publish", args=[problem.id])).status_code == 404


def test_the_board_speaks_english(client, problem, leader):
    publish(problem, leader)
    body = client.get(board_url(problem.centre), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Public rectification commitments" in body


# Names and text from a few common surname/name characters (never those of the replacement word), digits and
# spaces, so that names overlap, repeat and sit next to phone numbers.
NAME_CHARS = "王李张刘陈杨小明华丽"
TEXT = st.text(alphabet=NAME_CHARS + "0123456789 ，由负责", max_size=60)


@settings(deadline=None)  # timing is not the property (a loaded machine)
@given(TEXT, st.lists(st.text(alphabet=NAME_CHARS, min_size=2, max_size=4), max_size=4))
def test_public_wording_never_contains_a_name_it_was_told(text, names):
    result = public_wording(text, names)
    for name in names:
        assert name not in result


@given(st.lists(st.tuples(st.integers(1, 10), st.integers(0, 100), st.booleans()), max_size=8))
def test_weighted_progress_stays_between_0_and_100(rows):
    measures = [Measure(weight=w, progress=p, completed_at=None) for w, p, _done in rows]
    assert 0 <= weighted_progress(measures) <= 100

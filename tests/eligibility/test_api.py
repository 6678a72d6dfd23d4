"""POST /api/eligibility, the form description, the /check page, and chat questions with profile facts."""

from __future__ import annotations

import pytest

GOOD = {"region": "青岛市城阳区", "registered_on": "2018-05-10", "independent_legal_person": True,
        "business_type": "product", "annual_sales_wan": 2600, "registered_trademark": True,
        "standard_self_declared": True, "accidents": [], "serious_dishonesty_listed": False, "spot_check_failures": []}


@pytest.fixture(scope="module")
def client(shipped_index, make_settings, tmp_path_factory, engine):
    from fastapi.testclient import TestClient

    from assistant.server.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("eligibility-api"), index_dir=shipped_index.index_dir)
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as c:
        yield c


def test_api_verdicts(client):
    r = client.post("/api/eligibility", json={"profile": GOOD, "as_of": "2026-11-24", "program": "青岛优品"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["as_of"] == "2026-11-24"
    prog = data["programs"][0]
    assert prog["program"] == "青岛优品" and prog["verdict"] == "eligible"
    assert all({"status", "citation", "profile_value"} <= set(c) for c in prog["conditions"])
    everything = client.post("/api/eligibility", json={"profile": GOOD, "as_of": "2026-11-24"}).json()
    assert len(everything["programs"]) >= 15


@pytest.mark.parametrize("body, status, field", [
    ({"profile": {"annual_sales_wan": -5}}, 422, "annual_sales_wan"),
    ({"profile": {"registered_on": "2999-01-01"}}, 422, "registered_on"),
    ({"profile": {"registered_trademark": "不知道"}}, 422, "registered_trademark"),
    ({"profile": {}, "as_of": "明天"}, 422, "as_of"),
    ({"profile": {}, "program": "火星补贴"}, 404, "program"),
])
def test_api_bad_input_names_the_field(client, body, status, field):
    r = client.post("/api/eligibility", json=body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["fields"][0]["path"][0] == field
    assert field in err["message"] or field == "program"
    assert err["message"]


def test_api_rejects_a_profile_that_is_not_an_object(client):
    r = client.post("/api/eligibility", json={"profile": [1, 2]})
    assert r.status_code == 422
    assert r.json()["error"]["message"]


def test_form_asks_only_for_fields_the_rules_use(client):
    form = client.get("/api/eligibility/form").json()
    names = [f["field"] for f in form["fields"]]
    assert {"registered_on", "annual_sales_wan", "registered_trademark", "awards", "accidents"} <= set(names)
    assert "青岛优品" in form["programs"]
    assert all(f["label"] and f["group"] for f in form["fields"])
    page = client.get("/check")
    assert page.status_code == 200 and "政策体检" in page.text
    assert 'href="/check"' in client.get("/").text  # linked from the chat


def test_chat_question_with_facts(client):
    q = "我们2017年在城阳注册，去年销售额1500万，有注册商标，能报青岛优品吗？"
    r = client.post("/api/chat", json={"message": q, "stream": False})
    assert r.status_code == 200, r.text
    answer = data = r.json()
    assert answer["intent"] == "eligibility"
    result = answer["eligibility"][0]
    assert result["program"] == "青岛优品" and result["verdict"] == "need_info"
    assert result["facts"]["annual_sales_wan"] == 1500 and result["facts"]["registered_trademark"] is True
    text = answer["answer"]
    assert "已识别" in text and "1500万元" in text and "注册商标" in text
    assert "二、申报条件（二）" in [c["section"] for c in data["citations"]]
    follow = client.post("/api/chat", json={"message": "那区长质量奖呢？", "stream": False,
                                            "conversation_id": data["conversation_id"]}).json()
    follow_answer = follow
    assert follow_answer["eligibility"][0]["program"] == "区长质量奖（组织）"
    assert follow_answer["eligibility"][0]["facts"]["registered_on"] == "2017-12-31"  # reused from turn one


def test_chat_without_facts_is_left_to_the_usual_answer(client):
    answer = client.post("/api/chat", json={"message": "青岛优品的申报条件是什么？", "stream": False}).json()
    assert answer["eligibility"] == [] and answer["found"]

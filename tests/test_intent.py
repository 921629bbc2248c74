"""Tests of the offline intent classifier, its corpus and the held-out set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from env.scenarios import PAPER_SCENARIOS, load_population
from evals.intent_eval import (
    CATEGORIES,
    LANGUAGES,
    all_heldout_texts,
    heldout_sets,
    intent_report,
    load_heldout,
    main,
    markdown,
    reliability,
)
from wireless_agent.intent import (
    IntentClassifier,
    IntentPrediction,
    load_corpus,
    load_training,
    normalise,
    stated_requirements,
)
from wireless_agent.intent.calibration import expected_calibration_error
from wireless_agent.intent.corpus import MULTILINGUAL_CORPUS
from wireless_agent.intent.ridge import fit_ridge, grouped_cv_scores
from wireless_agent.intent.sparse import CsrMatrix
from wireless_agent.intent.text import normalise_text, tokens

QOS_RANGES = {"eMBB": ((10, 100), (100, 400)), "URLLC": ((1, 10), (1, 100))}
# Figures a request states override the application's typical latency in a prediction.
FIGURE_FREE = "stream an 8k film tonight"
# Words every request shares; a near-copy is judged on the rest.
_FILLER = frozenset(
    {"i", "want", "to", "need", "the", "a", "an", "my", "for", "of", "in", "on", "with", "we"}
    | {"must", "and", "be", "can", "is", "it"}
)


def _paper_sentences() -> set[str]:
    """Every distinct request sentence of the paper's three scenario files."""
    return {u.request for name in PAPER_SCENARIOS for u in load_population(name).users}


def _keys(text: str) -> set[str]:
    """Both readings of the normalisation: other characters dropped, or turned into spaces."""
    spaced = " ".join(re.sub(r"[^\w ]|_", " ", text.lower()).split())
    return {normalise(text), spaced}


def _content(text: str) -> set[str]:
    """Content words of a text."""
    return set(re.findall(r"\w+", text.lower())) - _FILLER


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return load_corpus() + load_corpus(MULTILINGUAL_CORPUS)


@pytest.fixture(scope="module")
def training() -> list[dict]:
    return load_training()


@pytest.fixture(scope="module")
def heldout() -> list[dict]:
    return load_heldout()


@pytest.fixture(scope="module")
def report() -> dict:
    return intent_report()


def test_corpus_is_large_balanced_and_consistent(corpus: list[dict]) -> None:
    assert len(corpus) >= 600
    counts = {s: sum(e["slice"] == s for e in corpus) for s in QOS_RANGES}
    assert min(counts.values()) >= 0.4 * len(corpus)
    apps: dict[str, str] = {}
    for e in corpus:
        (lat_lo, lat_hi), (rate_lo, rate_hi) = QOS_RANGES[e["slice"]]
        assert lat_lo <= e["latency_ms"] <= lat_hi, e
        assert rate_lo <= e["min_rate_mbps"] <= rate_hi, e
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e["application"]), e
        # An application belongs to exactly one slice.
        assert apps.setdefault(e["application"], e["slice"]) == e["slice"], e
    assert len(apps) >= 20
    assert len({normalise(e["text"]) for e in corpus}) == len(corpus)


def test_heldout_is_large_and_disjoint_from_corpus(corpus: list[dict], heldout: list[dict]) -> None:
    assert len(heldout) >= 150
    assert {r["slice"] for r in heldout} == {"eMBB", "URLLC"}
    corpus_keys = set().union(*(_keys(e["text"]) for e in corpus))
    for r in heldout:
        assert not _keys(r["text"]) & corpus_keys, r["text"]


def test_no_paper_sentence_in_corpus_or_heldout(corpus: list[dict], heldout: list[dict]) -> None:
    paper = _paper_sentences()
    assert len(paper) > 40
    paper_keys = set().union(*(_keys(t) for t in paper))
    ours = [e["text"] for e in corpus] + [r["text"] for r in heldout]
    for text in ours:
        assert not _keys(text) & paper_keys, text
    # Near-copies (a word or two changed) are excluded too: content-word overlap stays low.
    for p in paper:
        pc = _content(p)
        for text in ours:
            tc = _content(text)
            assert len(pc & tc) / len(pc | tc) < 0.6, (p, text)


def test_public_sentences_have_no_near_copy_in_training(training: list[dict]) -> None:
    public = [r["text"] for name, rows in heldout_sets().items() if name.startswith("public:")
              for r in rows]
    assert len(public) >= 100
    ours = [_content(e["text"]) for e in training]
    for p in public:
        pc = _content(p)
        for tc in ours:
            assert not tc or len(pc & tc) / len(pc | tc) < 0.6, (p, tc)


def test_training_is_deterministic(training: list[dict]) -> None:
    a = IntentClassifier.train(training, seed=0)
    b = IntentClassifier.default()  # trained separately on the same corpus and seed
    assert np.array_equal(a.weights, b.weights)
    assert a.temperature == b.temperature
    texts = ["I want to watch 4K video", "robot arm control on the line", "", "我想看电影"]
    assert np.array_equal(a.predict_proba(texts), b.predict_proba(texts))
    assert [a.predict(t) for t in texts] == [b.predict(t) for t in texts]
    assert IntentClassifier.default() is IntentClassifier.default()


def test_predictions_are_well_formed() -> None:
    clf = IntentClassifier.default()
    texts = ["stream an 8k film tonight", "trip the breakers at the substation now", "", "zzz"]
    proba = clf.predict_proba(texts)
    assert proba.shape == (4, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    for text, row in zip(texts, proba, strict=True):
        pred = clf.predict(text)
        assert isinstance(pred, IntentPrediction)
        assert 1 / 3 <= pred.confidence <= 1.0
        if pred.requirements is None and pred.reason != "no known words":
            assert pred.outcome == ("eMBB", "URLLC", "unclear")[int(np.argmax(row))]
            assert pred.confidence == pytest.approx(row.max())
    assert clf.predict("").unclear and clf.predict("zzz").unclear
    assert clf.predict_proba([]).shape == (0, 3)


def test_application_and_qos_follow_the_slice(heldout: list[dict]) -> None:
    clf = IntentClassifier.default()
    for r in heldout:
        pred = clf.predict(r["text"])
        if pred.requirements:
            continue  # stated figures replace the typical latency
        (lat_lo, lat_hi), (rate_lo, rate_hi) = QOS_RANGES[pred.slice]
        assert lat_lo <= pred.latency_ms <= lat_hi
        assert rate_lo <= pred.min_rate_mbps <= rate_hi
    assert clf.predict("please let me do a remote surgery on a patient").application == (
        "remote_surgery"
    )
    assert clf.predict("I'd like to binge a show in ultra HD").application == "video_streaming"


def test_accuracy_floors(report: dict) -> None:
    sets = report["sets"]
    assert {"center[:30]", "north[:30]", "south[:30]", "center[all 200]", "heldout"} <= set(sets)
    assert {"public:wirelessagent_kb", "public:wirelessbench", "hard:zh", "hard:en"} <= set(sets)
    for name, s in sets.items():
        # Sets of a handful of requests (one language of a blind set) are judged together below.
        if s["n"] >= 20:
            assert s["accuracy"] >= 0.9, (name, s["accuracy"], s["errors"])
    # Issue 13's bar on held-out requests: every language and category at >= 95 %.
    for group in ("languages", "categories"):
        for name, s in report[group].items():
            assert s["accuracy"] >= 0.95, (group, name, s["accuracy"], s["errors"])
    assert set(report["languages"]) == {"en", "zh", "es", "de", "fr", "pt", "ja", "ar", "hi"}


def test_every_category_and_language_is_measured_and_above_its_floor(report: dict) -> None:
    # Each category of issue 13 has enough requests for its floor to mean something.
    assert list(report["categories"])[: len(CATEGORIES)] == list(CATEGORIES)
    for cat in CATEGORIES:
        s = report["categories"][cat]
        assert s["n"] >= 20, cat
        assert s["accuracy"] >= 0.95, (cat, s["errors"])
        # Every language has requests of every category.
        assert all(report["matrix"][cat][lang]["n"] >= 2 for lang in LANGUAGES), cat
    for lang in LANGUAGES:
        assert report["languages"][lang]["n"] >= 40, lang
    fig = report["categories"]["with figures"]
    assert fig["n"] >= 100 and fig["accuracy"] >= 0.95
    # Gibberish and off-topic requests are never admitted to a slice.
    assert report["unclear_admitted"] == 0
    assert report["categories"]["unclear"]["accuracy"] == 1.0
    # The sets written blind (before the classifier ran on them) hold the bar on their own.
    for prefix in ("unseen:", "confirm:", "final:", "check:", "probe:", "last:"):
        rows = [s for name, s in report["sets"].items() if name.startswith(prefix)]
        n = sum(s["n"] for s in rows)
        right = sum(s["accuracy"] * s["n"] for s in rows)
        assert n >= 40 and right / n >= 0.95, prefix


def test_markdown_table_and_out_refusals(report: dict, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    text = markdown(report)
    header = next(line for line in text.splitlines() if line.startswith("| category |"))
    assert header.split("|")[2:-2] == [f" {lang} " for lang in LANGUAGES]
    for label in CATEGORIES.values():
        assert f"| {label} |" in text
    assert "ECE" in text and "wrong at confidence >= 0.9" in text
    with pytest.raises(SystemExit) as exit_info:
        main(["--no-latency", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_intent_eval_writes_the_table_atomically(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "intent.md"
    main(["--no-latency", "--out", str(out)])
    text = out.read_text(encoding="utf-8")
    assert text.startswith("## Intent classifier") and "| **all** |" in text
    assert not [p for p in out.parent.iterdir() if p.name != "intent.md"]  # no temp file left


def test_heldout_calibration(report: dict) -> None:
    assert report["ece"] < 0.04
    assert sum(row["count"] for row in report["reliability"]) == report["heldout_all"]["n"]
    assert report["confident_error_rate"] <= 0.01
    assert 0.05 < report["temperature"] < 20.0


def test_every_heldout_sentence_is_unseen_in_training(training: list[dict]) -> None:
    train_keys = {" ".join(e["text"].lower().split()) for e in training}
    train_keys |= set().union(*(_keys(e["text"]) for e in training)) - {""}
    texts = all_heldout_texts()
    assert len(texts) > 800
    for text in texts:
        assert " ".join(text.lower().split()) not in train_keys, text
        keys = _keys(text) - {""}
        assert not keys & train_keys, text


def _script_content(text: str) -> set[str]:
    """Content tokens in any script: words, and each CJK character on its own."""
    return set(tokens(normalise_text(text))) - _FILLER


def test_no_heldout_sentence_has_a_near_copy_in_training(training: list[dict]) -> None:
    # Script-aware: a Chinese or Hindi paraphrase sharing most characters or words counts too.
    train = [c for c in (_script_content(e["text"]) for e in training) if c]
    index: dict[str, list[int]] = {}
    for i, c in enumerate(train):
        for tok in c:
            index.setdefault(tok, []).append(i)
    for text in all_heldout_texts():
        hc = _script_content(text)
        for i in {i for tok in hc for i in index.get(tok, ())}:
            tc = train[i]
            assert len(hc & tc) / len(hc | tc) < 0.6, (text, sorted(tc))


def test_hard_sets_cover_every_language_and_outcome() -> None:
    sets = heldout_sets()
    for lang in ("zh", "es", "de", "fr", "pt", "ja", "ar", "hi", "en"):
        rows = sets[f"hard:{lang}"]
        assert {r["slice"] for r in rows} == {"eMBB", "URLLC", "unclear"}, lang
        assert len(rows) >= 20
    public = [r for name, rows in sets.items() if name.startswith("public:") for r in rows]
    assert all(r["source"] for r in public)


def test_gibberish_and_off_topic_are_never_admitted() -> None:
    clf = IntentClassifier.default()
    rng = np.random.default_rng(5)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    mash = [" ".join("".join(rng.choice(letters, rng.integers(3, 9))) for _ in range(3))
            for _ in range(30)]
    for text in [*mash, "x" * 20_000, "asdf qwerty zxcv", "?!?!", "   ", "1234"]:
        pred = clf.predict(text)
        assert pred.unclear, (text[:40], pred)
    assert clf.predict("something fast please").unclear
    # Gibberish in other scripts, symbols only, and off-topic questions in several languages.
    cjk = "".join(chr(c) for c in rng.integers(0x4E00, 0x9FFF, 6))
    for text in [cjk, "ضصثقفغ عهخحج", "कखगघ चछजझ", "🙂🙂🙂", "%%% ### ***", "1 2 3 4 5",
                 "who discovered penicillin?", "¿Quién escribió el Quijote?", "今天几号了？",
                 "Wie viele Einwohner hat Wien?", "क्या आज छुट्टी है?"]:
        pred = clf.predict(text)
        assert pred.unclear, (text, pred)
    # A question that names a service need is a request after all.
    assert not clf.predict("how do I get the lowest latency for my robot arm?").unclear


def test_negation_figures_and_languages_decide() -> None:
    clf = IntentClassifier.default()
    cases = {
        "not for video: we steer the gantry crane from the tower": "URLLC",
        "response time is unimportant, it's a nightly backup of the photo library": "eMBB",
        "Need 300 Mbps down, latency under 100 ms is fine": "eMBB",
        "2,5 ms one-way, 99.999 % reliability, 32-byte payload": "URLLC",
        "远程控制手术机器人": "URLLC",
        "用平板看高清电影": "eMBB",
    }
    for text, want in cases.items():
        pred = clf.predict(text)
        assert (pred.outcome, text) == (want, text)
    figures = clf.predict("Need 300 Mbps down, latency under 100 ms is fine")
    assert figures.requirements["rate_down_mbps"] == 300
    assert figures.requirements["5qi"]["resource_type"] != "Delay-critical GBR"
    # Figures against the words: the figures win, with less confidence than when they agree.
    against = clf.predict("robot arm control, best effort, 500 Mbps is what it needs")
    agree = clf.predict("video streaming at 500 Mbps down")
    assert against.slice == agree.slice == "eMBB"
    assert against.confidence < agree.confidence


@pytest.mark.parametrize(("text", "field", "value"), [
    ("one-way latency of 250 µs", "latency_ms", 0.25),
    ("latencia máxima de 3 milisegundos", "latency_ms", 3.0),
    ("Verzögerung höchstens 0,8 ms", "latency_ms", 0.8),
    ("tolère 2 s de délai", "latency_ms", 2000.0),
    ("时延不超过五毫秒", "latency_ms", 5.0),
    ("تأخير ٢٫٥ مللي ثانية", "latency_ms", 2.5),
    ("8 ms jitter at most", "jitter_ms", 8.0),
    ("confiabilidade de 99,999%", "per", 1e-5),
    ("موثوقية ٩٩٫٩٩٩٪", "per", 1e-5),
    ("reliability 1-10^-5", "per", 1e-5),
    ("丢包率低于十万分之一", "per", 1e-5),
    ("パケット損失は100万分の1以下", "per", 1e-6),
    ("64 kbps of telemetry", "rate_mbps", 0.064),
    ("下行两百兆", "rate_down_mbps", 200.0),
    ("Débit montant 40 Mbit/s", "rate_up_mbps", 40.0),
    ("2,5 Gbit/s im Download", "rate_down_mbps", 2500.0),
    ("100メガビット毎秒", "rate_mbps", 100.0),
    ("नमूना 200 बाइट का पैकेट", "payload_bytes", 200.0),
    ("carga útil de 1,5 kB", "payload_bytes", 1500.0),
])
def test_qos_figures_in_each_language(text: str, field: str, value: float) -> None:
    req = stated_requirements(text)
    assert req is not None, text
    assert req[field] == pytest.approx(value), (text, req)


def test_figures_decide_and_reach_the_prediction() -> None:
    clf = IntentClassifier.default()
    cases = {
        "Latenz unter 2 ms, Zuverlässigkeit 99,9999 %": "URLLC",
        "下行500Mbps，延迟100毫秒也可以": "eMBB",
        "ciclo de 1 ms, 20 bytes por mensaje": "URLLC",
        "۳۰۰ ميغابت في الثانية للتنزيل": "eMBB",
    }
    for text, slice_ in cases.items():
        pred = clf.predict(text)
        assert pred.outcome == slice_, (text, pred)
        assert pred.requirements["slice"] == slice_
        # Delay-critical 5QI rows for URLLC figures, and never for eMBB ones.
        critical = pred.requirements["5qi"]["resource_type"] == "Delay-critical GBR"
        assert critical == (slice_ == "URLLC"), (text, pred.requirements)
        assert pred.requirements["stated"]
    # 100 ms tolerated: the least demanding row with that budget (5QI 1, voice), not a
    # delay-critical one.
    assert clf.predict("下行500Mbps，延迟100毫秒也可以").requirements["5qi"]["pdb_ms"] == 100


def test_decision_record_carries_the_parsed_requirements(tmp_path: Path) -> None:
    import dataclasses

    from env import SlicingEnv
    from wireless_agent.agent import SlicingAgent
    from wireless_agent.config import AgentConfig
    from wireless_agent.memory.store import AgentMemory

    agent = SlicingAgent(AgentConfig(), memory=AgentMemory.open(tmp_path / "m"))
    env = SlicingEnv("south", users=3)
    obs, _ = env.reset(seed=0)
    agent.reset(env, episode_id="figures")
    env.replace_arrival(dataclasses.replace(
        env.current.user, request="制御周期は500マイクロ秒、信頼性99.9999%"))
    rec = agent.act(env, obs).record
    assert rec["intent"] == "URLLC"
    assert rec["requirements"]["cycle_ms"] == pytest.approx(0.5)
    assert rec["requirements"]["per"] == pytest.approx(1e-6)
    assert rec["requirements"]["5qi"]["resource_type"] == "Delay-critical GBR"


def test_intent_eval_help_does_not_run_the_eval(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "per language" in capsys.readouterr().out


def test_sparse_gram_and_grouped_cv_are_exact() -> None:
    rng = np.random.default_rng(1)
    dense = rng.random((12, 30)) * (rng.random((12, 30)) < 0.2)
    rows = [(np.flatnonzero(r), r[np.flatnonzero(r)]) for r in dense]
    x = CsrMatrix.from_rows(rows, 30)
    assert np.allclose(x.gram(), dense @ dense.T)
    assert np.allclose(x.rmatvec(np.arange(12.0)), dense.T @ np.arange(12.0))
    y = np.where(rng.random(12) < 0.5, -1.0, 1.0)
    fold = np.arange(12) % 3
    dual, inverse = fit_ridge(dense @ dense.T, y, lam=0.5)
    scores = grouped_cv_scores(y, dual, inverse, fold)
    k = dense @ dense.T + 1.0
    for f in range(3):
        train, test = fold != f, fold == f
        refit, _ = fit_ridge(k[np.ix_(train, train)] - 1.0, y[train], lam=0.5)
        assert np.allclose(scores[test], k[np.ix_(test, train)] @ refit)


def test_reliability_and_ece_arithmetic() -> None:
    probs = np.array([0.55, 0.58, 0.95, 0.99, 1.0])
    correct = np.array([1, 0, 1, 1, 0])
    table = reliability(probs, correct, bins=10)
    assert [(r["lo"], r["count"]) for r in table] == [(0.5, 2), (0.9, 3)]
    assert table[0]["accuracy"] == 0.5
    assert table[1]["confidence"] == pytest.approx((0.95 + 0.99 + 1.0) / 3)
    expected = 2 / 5 * abs(0.565 - 0.5) + 3 / 5 * abs((0.95 + 0.99 + 1.0) / 3 - 2 / 3)
    assert expected_calibration_error(probs, correct, 10) == pytest.approx(expected)


def test_train_on_custom_examples_and_load_errors(tmp_path: Path) -> None:
    rows = [
        {
            "text": f"{verb} {obj}",
            "slice": sl,
            "application": app,
            "latency_ms": lat,
            "min_rate_mbps": rate,
        }
        for verb in ("watch", "stream", "enjoy", "see", "play")
        for obj, sl, app, lat, rate in (
            ("a movie in 4k", "eMBB", "video", 50, 150),
            ("the match in hd", "eMBB", "sports", 40, 150),
        )
    ] + [
        {
            "text": f"{verb} {obj}",
            "slice": "URLLC",
            "application": app,
            "latency_ms": 2,
            "min_rate_mbps": 10,
        }
        for verb in ("control", "steer", "drive", "operate", "command")
        for obj, app in (("the robot arm", "robot"), ("the surgical tool", "surgery"))
    ]
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    clf = IntentClassifier.train(load_corpus(path), seed=3)
    assert clf.predict("watch a movie in 4k please").slice == "eMBB"
    assert clf.predict("control the robot arm now").application == "robot"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x", "slice": "mMTC"}) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_corpus(bad)


def test_reading_weighs_the_need_and_scopes_negation() -> None:
    from wireless_agent.intent.lexicon import default_lexicon
    from wireless_agent.intent.reading import CONTEXT_WEIGHT, NEED_WEIGHT, read_request

    # Background sentence, then the need: the need outweighs it, in any of the languages.
    for text in ("We build industrial robots. This request is only for the canteen TV.",
                 "Wir bauen Roboter. Diese Anfrage ist nur für den Fernseher in der Kantine.",
                 "Temos robôs no hospital. Desta vez é só a TV da recepção."):
        weights = [s.weight for s in read_request(text).segments]
        assert weights == [CONTEXT_WEIGHT, NEED_WEIGHT], (text, weights)
    # Portuguese "no" is "in the", not a negation; Spanish "no" still negates.
    pt = read_request("os robôs no hospital precisam de controle imediato")
    assert "robot" in pt.concepts and "not_robot" not in pt.concepts
    assert "not_video" in read_request("no es para ver videos").concepts
    # A negation ends at a dash or Arabic/Hindi punctuation, not at the end of the request.
    dash = read_request("not for gaming — I just want to download photos")
    assert "download" in dash.concepts and "not_download" not in dash.concepts
    arabic = read_request("ليس من أجل الألعاب، أريد رفع الصور")
    assert "upload" in arabic.concepts and "not_game" in arabic.concepts
    # A place name keeps the concepts of its words out ("control room" is not control).
    concepts = {h.concept for h in default_lexicon().find("the control room wall screen")}
    assert "place" in concepts and "control" not in concepts

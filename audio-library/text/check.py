#!/usr/bin/env python3
"""Validate the default library texts in this directory (stdlib only).

Usage: python3 check.py [--review]

Checks:
  * every tips-<subject>.toml for the seventeen subjects exists, has the right
    `subject` and `title`, and at least MIN_TIPS (twelve platform subjects) or
    MIN_TIPS_NEW (the five added by issue 19) tips; no other tips-*.toml;
  * totals: at least MIN_TOTAL_TIPS tips, MIN_TOTAL_CLIPS spoken clips (tips,
    culture, messages), and MIN_PER_BAND tips for each grade band;
  * ids unique and gapless (tip.<subject>.001.., culture.001.., msg.* unique);
  * required keys present, no unknown keys, allowed grades / season values:
    `grades` is a non-empty array of distinct bands from GRADE_BANDS, in
    that order (a tip for everyone lists all three);
  * length: 15-80 characters for tips and culture clips, 40-150 for
    emergency messages (msg.drill.prefix is a fixed phrase and exempt);
    culture titles 2-8 characters;
  * text hygiene for TTS: no ASCII letters, no parentheses, no URLs, no
    half-width punctuation, digits only inside the allowed phone numbers,
    text ends with full-width terminal punctuation;
  * emergency messages: a real run's message never mentions a drill, each
    drill ending says it was a drill, msg.lockdown carries only the code
    phrase LOCKDOWN_CODE; every plan in config/plans uses only keys the plan
    parser knows and messages that exist, and has msg.<plan>.drill.end;
  * duplicates across all files: equal normalized text, and character-bigram
    Jaccard similarity >= FAIL_SIM (error). Pairs >= REVIEW_SIM are printed
    with --review for manual review.
"""
from __future__ import annotations

import re
import sys
import tomllib
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBJECTS = {
    "traffic": "交通安全",
    "food": "食品安全",
    "earthquake": "防震减灾",
    "cyber": "网络安全",
    "fire": "消防安全",
    "outdoor": "户外安全",
    "injury": "意外伤害",
    "social": "社会安全",
    "law": "法治教育",
    "mental": "心理健康",
    "cases": "案例警示",
    "technique": "安全技能",
}
NEW_SUBJECTS = {
    "epidemic": "传染病防控",
    "drugs": "禁毒与控烟",
    "security": "国家安全",
    "bus": "校车安全",
    "intruder": "防暴力与防欺凌",
}
ALL_SUBJECTS = SUBJECTS | NEW_SUBJECTS
# lower-primary = 1-3年级, upper-primary = 4-6年级, junior-middle = 初中
GRADE_BANDS = ("lower-primary", "upper-primary", "junior-middle")
SEASONS = {"all", "spring", "summer", "autumn", "winter"}
MIN_TIPS = 62
MIN_TIPS_NEW = 40
MIN_TOTAL_TIPS = 960
MIN_TOTAL_CLIPS = 1000
MIN_PER_BAND = 500
MIN_CLIPS = 36
TIP_LEN = (15, 80)
MSG_LEN = (40, 150)
TITLE_LEN = (2, 8)
FAIL_SIM = 0.6
REVIEW_SIM = 0.4
# 火警, 报警, 急救, 交通事故, 水上遇险求救, 反诈, 心理援助热线, 国家安全机关举报受理电话
PHONE_NUMBERS = {"110", "119", "120", "122", "12395", "96110", "12356", "12339"}
REQUIRED_MESSAGES = {
    "msg.fire.evacuate", "msg.fire.allclear", "msg.fire.drill.end",
    "msg.earthquake.shaking", "msg.earthquake.allclear", "msg.earthquake.drill.end",
    "msg.earthquake.evacuate", "msg.earthquake-evacuate.allclear", "msg.earthquake-evacuate.drill.end",
    "msg.lockdown", "msg.lockdown.allclear", "msg.lockdown.drill.end",
    "msg.weather.shelter", "msg.weather.allclear", "msg.weather.drill.end",
    "msg.gas.evacuate", "msg.gas.allclear", "msg.gas.drill.end",
    "msg.drill.prefix", "msg.drill.end",
}
# Words a real (non-drill) message must not say: only drill messages may mention a drill.
DRILL_WORDS = ("演练",)
# The lockdown message is coded: it must not say what happens or what to do.
LOCKDOWN_CODE = "三号通知"
LOCKDOWN_FORBIDDEN = ("演练", "封闭", "隐蔽", "锁", "门", "窗", "安静", "躲", "危险", "可疑", "歹徒", "入侵")
LENGTH_EXEMPT = {"msg.drill.prefix"}  # fixed phrase "现在是演练，现在是演练。"

errors: list[str] = []
texts: list[tuple[str, str]] = []  # (id, text) across all files


def err(msg: str) -> None:
    errors.append(msg)


def norm(text: str) -> str:
    return re.sub(r"[\W_]", "", text)


def bigrams(text: str) -> set[str]:
    t = norm(text)
    return {t[i:i + 2] for i in range(len(t) - 1)}


def check_text(eid: str, text: str, lo: int, hi: int) -> None:
    n = len(text)
    if eid not in LENGTH_EXEMPT and not lo <= n <= hi:
        err(f"{eid}: length {n} not in {lo}-{hi}: {text}")
    if re.search(r"[A-Za-z]", text):
        err(f"{eid}: ASCII letters: {text}")
    if re.search(r"[()（）\[\]【】]", text):
        err(f"{eid}: parentheses: {text}")
    if re.search(r"[,.;:!?\"'/%~<>*#&=+-]", text):
        err(f"{eid}: half-width punctuation: {text}")
    if re.search(r"\s", text):
        err(f"{eid}: whitespace: {text!r}")
    for num in re.findall(r"\d+", text):
        if num not in PHONE_NUMBERS:
            err(f"{eid}: digits {num} are not an allowed phone number: {text}")
    if not text.endswith(("。", "！", "？", "”")):
        err(f"{eid}: must end with full-width terminal punctuation: {text}")
    texts.append((eid, text))


def load(name: str) -> dict | None:
    path = HERE / name
    if not path.exists():
        err(f"{name}: missing")
        return None
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        err(f"{name}: TOML error: {e}")
        return None


def check_entries(fname: str, entries, prefix: str, keys: set[str], optional: set[str] = frozenset()):
    if not isinstance(entries, list):
        err(f"{fname}: no entries")
        return []
    for i, e in enumerate(entries, 1):
        eid = e.get("id", f"{fname}#{i}")
        missing = keys - e.keys()
        extra = e.keys() - keys - optional
        if missing:
            err(f"{eid}: missing keys {sorted(missing)}")
        if extra:
            err(f"{eid}: unknown keys {sorted(extra)}")
        if prefix and e.get("id") != f"{prefix}{i:03d}":
            err(f"{fname}: entry {i} has id {e.get('id')!r}, expected {prefix}{i:03d} (ids must be gapless)")
        if "grades" in keys:
            g = e.get("grades")
            if (not isinstance(g, list) or not g or len(set(g)) != len(g)
                    or any(b not in GRADE_BANDS for b in g)
                    or g != [b for b in GRADE_BANDS if b in g]):
                err(f"{eid}: bad grades {g!r}: a non-empty array of distinct bands from "
                    f"{list(GRADE_BANDS)}, in that order")
        if "season" in keys and e.get("season") not in SEASONS:
            err(f"{eid}: bad season {e.get('season')!r}")
    return entries


PLANS_DIR = HERE.parent.parent / "config" / "plans"
PLAN_KEYS = {"title", "zones", "cycles", "all_clear", "drill_all_clear", "intro", "step", "notify"}  # PlanParser.swift


def check_plans(msgs: dict) -> None:
    """The shipped plans use only messages that exist; each has its drill ending msg.NAME.drill.end."""
    for path in sorted(PLANS_DIR.glob("*.toml")):
        name = path.stem
        try:
            with path.open("rb") as f:
                plan = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            err(f"{path.name}: TOML error: {e}")
            continue
        if plan.keys() - PLAN_KEYS:
            err(f"{path.name}: keys the plan parser does not know: {sorted(plan.keys() - PLAN_KEYS)}")
        refs = [plan.get("all_clear"), plan.get("drill_all_clear")] + [
            s.get("message") for s in plan.get("intro", []) + plan.get("step", [])]
        for ref in refs:
            if ref and ref.startswith("msg.") and ref not in msgs:
                err(f"{path.name}: message {ref} is not in emergency.toml")
        clear = plan.get("all_clear")
        if clear in msgs and "演练" in msgs[clear].get("text", ""):
            err(f"{path.name}: the all-clear {clear} of a real run must not speak of a drill")
        if f"msg.{name}.drill.end" not in msgs:
            err(f"{path.name}: no drill ending msg.{name}.drill.end in emergency.toml")
        if plan.get("drill_all_clear") != f"msg.{name}.drill.end":
            err(f"{path.name}: drill_all_clear must be msg.{name}.drill.end, so its drills end with their own words")


def main() -> int:
    review = "--review" in sys.argv
    stats = []
    all_tips = []
    known = {f"tips-{s}.toml" for s in ALL_SUBJECTS}
    for path in sorted(HERE.glob("tips-*.toml")):
        if path.name not in known:
            err(f"{path.name}: unknown subject; expected one of {sorted(ALL_SUBJECTS)}")
    for subject, title in ALL_SUBJECTS.items():
        fname = f"tips-{subject}.toml"
        data = load(fname)
        if data is None:
            continue
        if data.get("subject") != subject:
            err(f"{fname}: subject must be {subject!r}")
        if data.get("title") != title:
            err(f"{fname}: title must be {title!r}")
        tips = check_entries(fname, data.get("tip"), f"tip.{subject}.", {"id", "grades", "season", "text"})
        need = MIN_TIPS if subject in SUBJECTS else MIN_TIPS_NEW
        if len(tips) < need:
            err(f"{fname}: {len(tips)} tips, need >= {need}")
        for t in tips:
            check_text(t.get("id", "?"), t.get("text", ""), *TIP_LEN)
        all_tips += tips
        grades = {b: sum(b in (t.get("grades") or []) for t in tips) for b in GRADE_BANDS}
        seasonal = sum(t.get("season") != "all" for t in tips)
        stats.append((fname, len(tips), grades, seasonal))
    if len(all_tips) < MIN_TOTAL_TIPS:
        err(f"{len(all_tips)} tips in all, need >= {MIN_TOTAL_TIPS}")
    for b in GRADE_BANDS:
        n = sum(b in (t.get("grades") or []) for t in all_tips)
        if n < MIN_PER_BAND:
            err(f"grade band {b}: {n} tips, need >= {MIN_PER_BAND}")

    data = load("culture.toml")
    if data is not None:
        clips = check_entries("culture.toml", data.get("clip"), "culture.", {"id", "title", "text", "grades"})
        if len(clips) < MIN_CLIPS:
            err(f"culture.toml: {len(clips)} clips, need >= {MIN_CLIPS}")
        for c in clips:
            title = c.get("title", "")
            if not TITLE_LEN[0] <= len(title) <= TITLE_LEN[1]:
                err(f"{c.get('id')}: title length {len(title)} not in {TITLE_LEN}")
            check_text(c.get("id", "?"), c.get("text", ""), *TIP_LEN)
        stats.append(("culture.toml", len(clips), None, None))

    data = load("emergency.toml")
    if data is not None:
        msgs = check_entries("emergency.toml", data.get("message"), "", {"id", "title", "text"})
        ids = [m.get("id") for m in msgs]
        for dup in {i for i in ids if ids.count(i) > 1}:
            err(f"emergency.toml: duplicate id {dup}")
        for i in ids:
            if not re.fullmatch(r"msg(\.[a-z]+(-[a-z]+)*)+", i or ""):
                err(f"emergency.toml: bad id {i!r}")
        for missing in REQUIRED_MESSAGES - set(ids):
            err(f"emergency.toml: missing message {missing}")
        for m in msgs:
            check_text(m.get("id", "?"), m.get("text", ""), *MSG_LEN)
        for m in msgs:
            mid, text = m.get("id") or "", m.get("text", "")
            is_drill = mid.startswith("msg.drill.") or mid.endswith(".drill.end")
            if not is_drill and any(w in text + m.get("title", "") for w in DRILL_WORDS):
                err(f"{mid}: a message for a real event must not mention a drill: {text}")
            if is_drill and mid != "msg.drill.prefix" and "演练" not in text:
                err(f"{mid}: a drill's end must say that it was a drill: {text}")
        lock = next((m for m in msgs if m.get("id") == "msg.lockdown"), None)
        if lock:
            if LOCKDOWN_CODE not in lock.get("text", ""):
                err(f"msg.lockdown: must carry the trained code phrase {LOCKDOWN_CODE}")
            said = [w for w in LOCKDOWN_FORBIDDEN if w in lock.get("text", "") + lock.get("title", "")]
            if said:
                err(f"msg.lockdown: the coded message must not say {said}")
        prefix = next((m for m in msgs if m.get("id") == "msg.drill.prefix"), None)
        if prefix and prefix.get("text") != "现在是演练，现在是演练。":
            err("msg.drill.prefix: must be exactly 现在是演练，现在是演练。")
        stats.append(("emergency.toml", len(msgs), None, None))
        check_plans({m.get("id"): m for m in msgs})
    if len(texts) < MIN_TOTAL_CLIPS:
        err(f"{len(texts)} spoken clips in all, need >= {MIN_TOTAL_CLIPS}")

    # duplicates across every file
    seen: dict[str, str] = {}
    for eid, text in texts:
        n = norm(text)
        if n in seen:
            err(f"{eid}: same text as {seen[n]}")
        seen.setdefault(n, eid)
    grams = [(eid, text, bigrams(text)) for eid, text in texts]
    review_pairs = []
    for (ia, ta, ga), (ib, tb, gb) in combinations(grams, 2):
        if not ga or not gb:
            continue
        sim = len(ga & gb) / len(ga | gb)
        if sim >= FAIL_SIM:
            err(f"near-duplicate ({sim:.2f}): {ia} / {ib}\n    {ta}\n    {tb}")
        elif sim >= REVIEW_SIM:
            review_pairs.append((sim, ia, ta, ib, tb))

    for fname, n, grades, seasonal in stats:
        extra = f"  grades {grades}  seasonal {seasonal}" if grades else ""
        print(f"{fname:24} {n:4}{extra}")
    bands = {b: sum(b in (t.get("grades") or []) for t in all_tips) for b in GRADE_BANDS}
    seasons = {x: sum(t.get("season") == x for t in all_tips) for x in sorted(SEASONS)}
    print(f"tips: {len(all_tips)}  by band {bands}  by season {seasons}")
    print(f"texts checked: {len(texts)}; pairs for review (>= {REVIEW_SIM}): {len(review_pairs)}")
    if review:
        for sim, ia, ta, ib, tb in sorted(review_pairs, reverse=True):
            print(f"  {sim:.2f} {ia} / {ib}\n       {ta}\n       {tb}")
    if errors:
        print(f"\n{len(errors)} error(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

from assistant.condense import condense, gives_only_names, is_followup

PREV = [
    {"role": "user", "content": "Phòng Nội vụ quận Ba Đình làm những việc gì năm 2025?"},
    {"role": "assistant", "content": "…"},
]


def test_follow_up_inherits_named_entities():
    q = condense("Còn hạn báo cáo năm thì sao?", PREV)
    assert q.endswith("Còn hạn báo cáo năm thì sao?")
    assert "quận Ba Đình" in q and "2025" in q and "Phòng Nội vụ" in q


def test_a_new_unit_replaces_the_inherited_one():
    q = condense("Còn Phòng Văn hóa và Thông tin thì sao?", PREV)
    assert "Phòng Nội vụ" not in q and "Ba Đình" in q


def test_known_names_are_inherited_without_a_marker():
    prev = [{"role": "user", "content": "Ban Dân vận Thành ủy Hà Nội được yêu cầu gì năm 2018?"}]
    q = condense("Về tôn giáo thì sao?", prev, known=["Thành ủy Hà Nội", "Hà Nội"])
    assert "Thành ủy Hà Nội" in q and "2018" in q


def test_standalone_questions_and_empty_history_are_left_alone():
    standalone = "Kế hoạch số 08/KH-UBND của quận Gò Vấp ban hành ngày nào?"
    assert condense(standalone, PREV) == standalone
    assert condense("Còn năm 2010 thì sao?", []) == "Còn năm 2010 thì sao?"
    assert is_followup("Còn hạn báo cáo năm thì sao?") and not is_followup(standalone)


def test_malformed_history_entries_are_ignored():
    assert condense("Còn gì nữa?", [{"role": "system"}, "x", {"content": "y"}]) == "Còn gì nữa?"  # type: ignore[list-item]


def test_a_new_place_drops_the_inherited_year_and_keeps_the_intent():
    """Issue 14: after "Kế hoạch năm 2025 của Ba Đình do ai ký?", "Còn quận Gò Vấp thì sao?" searched "2025: Còn
    quận Gò Vấp thì sao?" and found nothing (Gò Vấp's plan is of 2010), and had lost "who signed"."""
    history = [
        {"role": "user", "content": "Kế hoạch năm 2025 của Ba Đình do ai ký?"},
        {"role": "assistant", "content": "…"},
    ]
    q = condense("Còn quận Gò Vấp thì sao?", history, known=["Ba Đình", "Gò Vấp"])
    assert "2025" not in q and "Ba Đình" not in q
    assert "ai ký" in q and q.endswith("Còn quận Gò Vấp thì sao?")
    kept = condense("Còn Phòng Văn hóa và Thông tin thì sao?", PREV)  # a unit of the same plan: the year stays
    assert "2025" in kept


def test_another_place_or_year_drops_the_inherited_document_number():
    """ "Theo kế hoạch 08/KH-UBND, ai chịu trách nhiệm báo cáo quý?" → "Còn kế hoạch của Ba Đình năm 2025 thì sao?"
    searched "08/KH-UBND: …", Gò Vấp's 2010 plan, and abstained for the year."""
    history = [
        {"role": "user", "content": "Theo kế hoạch 08/KH-UBND, ai chịu trách nhiệm báo cáo quý?"},
        {"role": "assistant", "content": "…"},
    ]
    question = "Còn kế hoạch của Ba Đình năm 2025 thì sao?"
    q = condense(question, history, known=["Ba Đình", "Gò Vấp"])
    assert "08/KH-UBND" not in q and "08" not in q.split()
    assert "chịu trách nhiệm báo cáo quý" in q and q.endswith(question)  # the earlier question's intent
    assert gives_only_names(question, ["Ba Đình"]) and not gives_only_names("Còn hạn báo cáo năm thì sao?")


def test_a_document_named_by_its_bare_number_replaces_the_inherited_one():
    """ "Tóm tắt quyết định 1696." then "Còn công văn 6791 thì sao?": the letter is asked what the decision was,
    not searched with the decision's number and the words of its question as a list of terms."""
    history = [{"role": "user", "content": "Tóm tắt quyết định 1696."}]
    assert condense("Còn công văn 6791 thì sao?", history) == "Tóm tắt. Còn công văn 6791 thì sao?"
    assert gives_only_names("Còn công văn 6791 thì sao?")
    signed = [{"role": "user", "content": "Ai ký quyết định 1696?"}]
    assert condense("Còn kế hoạch 79 thì sao?", signed) == "Ai ký? Còn kế hoạch 79 thì sao?"

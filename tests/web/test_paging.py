from jigsaw.web.paging import Page, pagination


def test_page_numbers_keep_the_ends_and_neighbours_and_mark_gaps() -> None:
    assert Page(1, 25, 500).numbers() == [1, 2, None, 20]
    assert Page(10, 25, 500).numbers() == [1, None, 9, 10, 11, None, 20]
    assert Page(3, 25, 500).numbers() == [1, 2, 3, 4, None, 20]
    assert Page(20, 25, 500).numbers() == [1, None, 19, 20]


def test_a_gap_of_one_page_shows_the_page_not_an_ellipsis() -> None:
    assert Page(4, 25, 125).numbers() == [1, 2, 3, 4, 5]


def test_nonsense_page_numbers_mean_the_first_page() -> None:
    for raw in ("", "0", "-3", "two", "1e9", "99999999", "\u00b2", "\u0663", "\uff12"):
        assert Page.requested(raw).number == 1, raw
    assert Page.requested("7").offset == 150


def test_pages_past_the_end_move_back_to_the_last() -> None:
    assert Page.requested("9").with_total(30).number == 2
    assert Page.requested("9").with_total(0).number == 1


def test_one_page_needs_no_pagination() -> None:
    assert pagination(Page(1, 25, 25), str) is None
    options = pagination(Page(2, 25, 60), lambda n: f"/?page={n}")
    assert options is not None
    assert options["previous"] == {"href": "/?page=1"}
    assert options["next"] == {"href": "/?page=3"}
    assert [i.get("current") for i in options["items"]] == [False, True, False]

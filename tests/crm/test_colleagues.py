from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from referly.crm.colleagues import Job, former_colleagues

TODAY = date(2026, 11, 1)


def job(contact: int, start: str, end: str | None, company: str = "globex") -> Job:
    return Job(contact, company, company.title(), date.fromisoformat(start), end and date.fromisoformat(end))


def test_overlapping_stints_make_one_tie_with_confidence_growing_with_overlap() -> None:
    ties = former_colleagues(
        [
            job(1, "2015-01-01", "2019-01-01"),
            job(2, "2016-01-01", "2018-01-01"),
            job(3, "2018-10-01", "2020-01-01"),
        ],
        TODAY,
    )
    pairs = {(t.low_contact_id, t.high_contact_id): t for t in ties}
    assert set(pairs) == {(1, 2), (1, 3)}
    assert pairs[(1, 2)].overlap_days == 731
    assert pairs[(1, 3)].overlap_days == 92
    assert pairs[(1, 2)].confidence > pairs[(1, 3)].confidence


def test_short_crossings_other_companies_and_current_colleagues_make_no_tie() -> None:
    ties = former_colleagues(
        [
            job(1, "2015-01-01", "2015-03-01"),
            job(2, "2015-02-01", "2016-01-01"),  # a month together: too short
            job(3, "2020-01-01", None),
            job(4, "2021-01-01", None),  # both still there: colleagues, not former colleagues
            job(5, "2015-01-01", "2019-01-01", company="initech"),
        ],
        TODAY,
    )
    assert ties == []


def test_a_pair_with_several_shared_employers_keeps_its_longest_stint() -> None:
    ties = former_colleagues(
        [
            job(1, "2010-01-01", "2011-01-01", "a"),
            job(2, "2010-01-01", "2011-01-01", "a"),
            job(1, "2012-01-01", "2016-01-01", "b"),
            job(2, "2012-01-01", "2016-01-01", "b"),
        ],
        TODAY,
    )
    assert len(ties) == 1
    assert ties[0].company_name == "B"


stints = st.lists(
    st.tuples(
        st.integers(1, 6),
        st.sampled_from(["a", "b"]),
        st.integers(0, 4000),
        st.one_of(st.none(), st.integers(1, 2000)),
    ),
    max_size=25,
)


@given(stints)
def test_ties_are_ordered_pairs_of_distinct_people_with_bounded_confidence(
    rows: list[tuple[int, str, int, int | None]],
) -> None:
    jobs = [
        Job(
            c,
            k,
            k,
            TODAY - timedelta(days=start),
            None if length is None else TODAY - timedelta(days=max(start - length, 0)),
        )
        for c, k, start, length in rows
    ]
    ties = former_colleagues(jobs, TODAY)
    assert len({(t.low_contact_id, t.high_contact_id) for t in ties}) == len(ties)
    for t in ties:
        assert t.low_contact_id < t.high_contact_id
        assert 0.3 <= t.confidence <= 0.8
        assert t.overlap_days >= 90

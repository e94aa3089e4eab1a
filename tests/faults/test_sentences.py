"""Which database failures a command turns into one sentence, and which it leaves to surface as bugs."""

from __future__ import annotations

from django.db import IntegrityError, OperationalError, ProgrammingError

from referly.database import unavailable


def test_only_a_database_out_of_reach_becomes_a_sentence() -> None:
    assert unavailable(IntegrityError("duplicate key value violates unique constraint")) is None
    assert unavailable(ProgrammingError('syntax error at or near "SELEC"')) is None
    assert unavailable(ValueError("not a database failure")) is None
    lost = unavailable(OperationalError("server closed the connection unexpectedly"))
    assert lost is not None and lost.exit_code == 6
    assert str(lost).startswith("Lost the connection to the ")
    assert str(lost).endswith("nothing of it was kept: server closed the connection unexpectedly")


def test_the_sentence_names_the_first_failure_not_the_reconnection_after_it() -> None:
    try:
        try:
            raise OperationalError("terminating connection due to administrator command")
        except OperationalError:
            raise OperationalError("connection failed: FATAL:  the database system is shutting down") from None
    except OperationalError as last:
        said = unavailable(last)
    assert said is not None
    assert "terminating connection due to administrator command" in str(said)
    assert "shutting down" not in str(said)

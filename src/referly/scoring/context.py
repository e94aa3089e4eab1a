"""What the pipeline reads: the system of record as Arrow tables, and the moment it scores at."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

DAY = 86_400


@dataclass
class Inputs:
    """Every table as Arrow. Times are epoch seconds (``ts``) or days since 1970 (``day``)."""

    events: pa.Table  # a (teammate id), b (contact id), kind 1-5, ts
    teammates: pa.Table  # id, name, role
    accounts: pa.Table  # id, name, industry, employees, annual_revenue, country, lifecycle, client_day, custom
    contacts: pa.Table  # id, account_id, first_name, last_name, title, seniority, role, do_not_contact, opted_out
    signals: pa.Table  # account_id, contact_id, kind, day, nps_score, detail, resolved_day
    connections: pa.Table  # from_id, to_id, kind, confidence, provenance (the loaders keep client-prospect ties)
    opportunities: pa.Table  # account_id, stage (open deals only)
    asks: pa.Table  # contact_id, account_id, asked_ts, outcome, outcome_ts
    referrals: pa.Table  # referrer_contact_id, target_account_id, stage


def engine(inputs: Inputs, **extra: pa.Table) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with every input (and any extra table) registered under its name."""
    con = duckdb.connect()
    for name in Inputs.__dataclass_fields__:
        con.register(name, getattr(inputs, name))
    for name, table in extra.items():
        con.register(name, table)
    return con

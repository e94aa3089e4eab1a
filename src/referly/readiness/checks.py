"""Readiness: for each list Referly makes, what it needs, what the records hold, and what to do when it is empty.

Pure functions of ``Counts`` (gathered by ``readiness.queries``): each returns one ``Line`` with its status
(``ok``, ``thin``: it works on partial evidence, ``empty``: it makes nothing), a sentence in plain words, the
numbers it read, and the fix as a command and as a page of the web app (a URL name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from referly.kit.numbers import counted
from referly.reports.backtest import MINIMUM_POSITIVES
from referly.reports.evidence import MINIMUM_SAMPLE
from referly.scoring.left_out import left_out

OK, THIN, EMPTY = "ok", "thin", "empty"
MAILBOX_COMMAND = "referly source add imap --host HOST --user USER --owner EMAIL"


def _grouped(values: dict[str, int | str]) -> dict[str, str]:
    """A sentence's values with every count grouped as the active language writes it (1,999,310; 1 999 310)."""
    return {key: counted(value) if isinstance(value, int) else value for key, value in values.items()}


def connect_a_mailbox() -> str:
    return _("Connect a mailbox: referly source add imap … or Settings → Mailboxes and calendars.")


@dataclass(frozen=True)
class Counts:
    """How many records of each kind the readiness checks read (``clients``: recorded or from a won deal)."""

    teammates: int = 0
    teammates_without_email: tuple[str, ...] = ()
    accounts: int = 0
    clients_recorded: int = 0
    clients_from_deals: int = 0  # no lifecycle recorded anywhere: accounts with a won deal count as clients
    prospects: int = 0
    contacts: int = 0
    contacts_at_clients: int = 0
    contacts_at_prospects: int = 0
    deals: int = 0
    won_deals: int = 0
    won_deals_with_account: int = 0
    interactions: int = 0  # real touches: e-mails, meetings, calls, notes
    crm_activity: int = 0  # a CRM's activity dates
    client_contacts_touched: int = 0
    mailboxes: int = 0
    calendars: int = 0
    nps_answers: int = 0
    risk_signals: int = 0  # support escalations and churn risks
    moment_signals: int = 0
    open_moments: int = 0
    connections: int = 0
    client_prospect_ties: int = 0
    icp_criteria: int = 0
    accounts_described: int = 0  # with an industry, a size, a revenue or a country
    referrals: int = 0
    asks_tracked: int = 0  # referrals that reached "requested": the backtest's asks
    asks_introduced: int = 0
    run: dict[str, int] | None = None  # the latest scoring run's counts

    @property
    def clients(self) -> int:
        return self.clients_recorded + self.clients_from_deals


@dataclass(frozen=True)
class Line:
    key: str  # the anchor of the line on the Setup page: #readiness-KEY
    feature: str
    status: str
    sentence: str
    numbers: dict[str, int] = field(default_factory=dict)
    command: str = ""
    page: str = ""  # a URL name of the web app

    @property
    def anchor(self) -> str:
        return f"readiness-{self.key}"


def team(c: Counts) -> Line:
    numbers = {"teammates": c.teammates, "without_email": len(c.teammates_without_email)}
    if c.teammates == 0:
        return Line(
            "team",
            _("Team"),
            EMPTY,
            _("No teammate yet: import your team, or the owners of your accounts and deals (they become teammates)."),
            numbers,
            "referly import teammates TEAM.csv",
            "web:import",
        )
    if c.teammates_without_email:
        names = ", ".join(c.teammates_without_email[:10]) + ("…" if len(c.teammates_without_email) > 10 else "")
        return Line(
            "team",
            _("Team"),
            THIN,
            ngettext(
                "%(n)s teammate, %(m)s without an e-mail (%(names)s): they cannot log in or connect a mailbox.",
                "%(n)s teammates, %(m)s without an e-mail (%(names)s): they cannot log in or connect a mailbox.",
                c.teammates,
            )
            % _grouped({"n": c.teammates, "m": len(c.teammates_without_email), "names": names}),
            numbers,
            "referly import teammates TEAM.csv (with an email column)",
            "web:import",
        )
    return Line(
        "team",
        _("Team"),
        OK,
        ngettext("%(n)s teammate, each with an e-mail.", "%(n)s teammates, each with an e-mail.", c.teammates)
        % _grouped({"n": c.teammates}),
        numbers,
    )


def accounts(c: Counts) -> Line:
    numbers = {
        "accounts": c.accounts,
        "clients": c.clients,
        "clients_from_won_deals": c.clients_from_deals,
        "prospects": c.prospects,
    }
    if c.accounts == 0:
        return Line(
            "accounts",
            _("Accounts"),
            EMPTY,
            _("No account yet: import your CRM export (accounts, contacts, deals)."),
            numbers,
            "referly import EXPORT_FOLDER --preset hubspot",
            "web:import",
        )
    sentence = _("%(n)s accounts: %(clients)s clients (%(won)s from a won deal), %(prospects)s prospects.") % _grouped(
        {
            "n": c.accounts,
            "clients": c.clients,
            "won": c.clients_from_deals,
            "prospects": c.prospects,
        }
    )
    if c.clients == 0:
        return Line(
            "accounts",
            _("Accounts"),
            THIN,
            sentence + " " + _("None is a client: no lifecycle column, no won deal linked to an account."),
            numbers,
            "referly import accounts ACCOUNTS.csv (with a lifecycle column)",
            "web:import",
        )
    if c.prospects == 0:
        return Line(
            "accounts",
            _("Accounts"),
            THIN,
            sentence + " " + _("No prospect: there is nobody to be introduced to."),
            numbers,
            "referly import accounts PROSPECTS.csv",
            "web:import",
        )
    return Line("accounts", _("Accounts"), OK, sentence, numbers)


def contacts(c: Counts) -> Line:
    numbers = {"contacts": c.contacts, "at_clients": c.contacts_at_clients, "at_prospects": c.contacts_at_prospects}
    line = Line(
        "contacts",
        _("Contacts"),
        OK,
        _("%(n)s contacts: %(clients)s at client accounts, %(prospects)s at prospects.")
        % _grouped({"n": c.contacts, "clients": c.contacts_at_clients, "prospects": c.contacts_at_prospects}),
        numbers,
        "referly import contacts CONTACTS.csv",
        "web:import",
    )
    if c.contacts == 0:
        return _with(line, EMPTY, _("No contact yet: sponsors and targets are people; import your contacts."))
    if c.contacts_at_clients == 0 or c.contacts_at_prospects == 0:
        return _with(line, THIN, line.sentence)
    return _with(line, OK, line.sentence, fix=False)


def deals(c: Counts) -> Line:
    numbers = {"deals": c.deals, "won": c.won_deals, "won_with_account": c.won_deals_with_account}
    line = Line(
        "deals",
        _("Deals"),
        OK,
        _("%(n)s deals, %(won)s won (%(linked)s linked to an account).")
        % _grouped({"n": c.deals, "won": c.won_deals, "linked": c.won_deals_with_account}),
        numbers,
        "referly import opportunities DEALS.csv (with the account column)",
        "web:import",
    )
    if c.deals == 0:
        return _with(
            line,
            EMPTY,
            _(
                "No deal yet: without won deals, only a lifecycle column says who is a client, "
                "and reports measure no pipeline."
            ),
        )
    if c.won_deals_with_account == 0:
        return _with(line, THIN, line.sentence + " " + _("No won deal names its company: none makes a client."))
    return _with(line, OK, line.sentence, fix=False)


def interactions(c: Counts) -> Line:
    numbers = {
        "interactions": c.interactions,
        "crm_activity": c.crm_activity,
        "mailboxes": c.mailboxes,
        "calendars": c.calendars,
    }
    sentence = _(
        "%(n)s interactions and %(activity)s CRM activity dates; "
        "%(mailboxes)s mailboxes and %(calendars)s calendars connected."
    ) % _grouped({"n": c.interactions, "activity": c.crm_activity, "mailboxes": c.mailboxes, "calendars": c.calendars})
    line = Line("interactions", _("Interactions and mailboxes"), OK, sentence, numbers, MAILBOX_COMMAND, "web:sources")
    connect = connect_a_mailbox()
    if c.interactions == 0 and c.crm_activity == 0:
        return _with(line, EMPTY, sentence + " " + _("Nobody's closeness to our team can be measured.") + " " + connect)
    if c.interactions == 0:
        return _with(line, THIN, sentence + " " + _("Proximity rests on CRM activity dates only.") + " " + connect)
    if c.mailboxes + c.calendars == 0:
        return _with(line, OK, sentence + " " + _("No mailbox connected: new touches come only by import."))
    return _with(line, OK, sentence, fix=False)


def nps(c: Counts) -> Line:
    line = Line(
        "nps",
        _("NPS"),
        OK,
        ngettext("%(n)s NPS answer.", "%(n)s NPS answers.", c.nps_answers) % _grouped({"n": c.nps_answers}),
        {"nps_answers": c.nps_answers},
        "referly import signals NPS.csv (kind nps, with nps_score)",
        "web:import",
    )
    if c.nps_answers == 0:
        return _with(
            line, EMPTY, _("No NPS answer: satisfaction is a neutral guess and no detractor can be held back.")
        )
    return _with(line, OK, line.sentence, fix=False)


def icp(c: Counts) -> Line:
    numbers = {"criteria": c.icp_criteria, "accounts_described": c.accounts_described, "accounts": c.accounts}
    line = Line(
        "icp",
        _("Ideal customer profile"),
        OK,
        _(
            "%(n)s ICP criteria; %(described)s of %(accounts)s accounts have an industry, a size, "
            "a revenue or a country."
        )
        % _grouped({"n": c.icp_criteria, "described": c.accounts_described, "accounts": c.accounts}),
        numbers,
        "referly icp suggest --apply",
        "web:settings",
    )
    if c.icp_criteria == 0:
        return _with(line, EMPTY, _("No ICP criterion: every target fits alike."))
    if c.accounts and c.accounts_described == 0:
        return _with(line, THIN, line.sentence + " " + _("The ICP cannot tell accounts apart."))
    return _with(line, OK, line.sentence, fix=False)


def moments(c: Counts) -> Line:
    line = Line(
        "moments",
        _("Moments"),
        OK,
        _("%(open)s moments open now, from %(n)s trigger signals on record.")
        % _grouped({"open": c.open_moments, "n": c.moment_signals}),
        {"open_moments": c.open_moments, "trigger_signals": c.moment_signals},
        "referly import signals SIGNALS.csv",
        "web:import",
    )
    if c.moment_signals == 0:
        return _with(
            line,
            EMPTY,
            _(
                "No moment: no trigger signal on record (a measured success, a renewal, a case study, onboarding "
                "completed, a promoter NPS answer). Asks still work, at a lower score."
            ),
        )
    if c.open_moments == 0:
        return _with(line, THIN, line.sentence + " " + _("Every window has closed."))
    return _with(line, OK, line.sentence, fix=False)


def sponsors(c: Counts) -> Line:
    numbers = {"clients": c.clients, "contacts_at_clients": c.contacts_at_clients}
    line = Line("sponsors", _("Possible sponsors"), EMPTY, "", numbers, "", "web:import")
    if c.accounts == 0:
        return _with(
            line, EMPTY, _("0 possible sponsors: no account yet. Import your CRM export."), accounts(c).command
        )
    if c.clients == 0:
        return _with(
            line,
            EMPTY,
            _(
                "0 possible sponsors: 0 accounts are clients (no lifecycle column, no won deal linked to an account). "
                "Import deals with their company, or set the lifecycle of your client accounts."
            ),
            "referly import opportunities DEALS.csv, or referly import accounts ACCOUNTS.csv (with a lifecycle column)",
        )
    if c.contacts_at_clients == 0:
        return _with(
            line,
            EMPTY,
            ngettext(
                "0 possible sponsors: %(n)s client account but no contact there. Import its contacts.",
                "0 possible sponsors: %(n)s client accounts but no contact there. Import their contacts.",
                c.clients,
            )
            % _grouped({"n": c.clients}),
            "referly import contacts CONTACTS.csv",
        )
    found = ngettext(
        "%(n)s possible sponsor at %(clients)s client accounts.",
        "%(n)s possible sponsors at %(clients)s client accounts.",
        c.contacts_at_clients,
    ) % _grouped({"n": c.contacts_at_clients, "clients": c.clients})
    missing = []
    if c.nps_answers == 0:
        missing.append(_("no NPS"))
    if c.interactions == 0:
        missing.append(_("no interactions") if c.crm_activity == 0 else _("proximity from CRM activity dates only"))
    if missing:
        return _with(
            line,
            THIN,
            found + " " + _("Ranked on what is known: %(missing)s.") % {"missing": ", ".join(missing)},
            MAILBOX_COMMAND if c.interactions == 0 else nps(c).command,
            "web:sources" if c.interactions == 0 else "web:import",
        )
    return _with(line, OK, found, fix=False)


def gates(c: Counts) -> Line:
    numbers = {"nps_answers": c.nps_answers, "risk_signals": c.risk_signals}
    gated = sum(v for k, v in (c.run or {}).items() if k.startswith("gated."))
    line = Line(
        "gates",
        _("Gates"),
        OK,
        _("The gates read %(nps)s NPS answers and %(risks)s escalations or churn risks; %(gated)s gates hold now.")
        % _grouped({"nps": c.nps_answers, "risks": c.risk_signals, "gated": gated}),
        numbers,
        "referly import signals SIGNALS.csv",
        "web:import",
    )
    if c.nps_answers == 0 and c.risk_signals == 0:
        return _with(
            line,
            THIN,
            _(
                "No NPS answer, escalation or churn risk on record: no detractor can be held back; "
                "only opt-outs and the asks ledger gate."
            ),
        )
    return _with(line, OK, line.sentence, fix=False)


def warm_paths(c: Counts) -> Line:
    numbers = {
        "client_prospect_ties": c.client_prospect_ties,
        "client_contacts_touched": c.client_contacts_touched,
        "contacts_at_prospects": c.contacts_at_prospects,
    }
    line = Line("warm-paths", _("Warm paths"), EMPTY, "", numbers)
    if c.contacts_at_clients == 0:
        first = sponsors(c)
        return _with(
            line, EMPTY, _("0 warm paths: no possible sponsor (see Possible sponsors)."), first.command, first.page
        )
    if c.contacts_at_prospects == 0:
        return _with(
            line,
            EMPTY,
            _("0 warm paths: no prospect with contacts to be introduced to. Import prospects and their contacts."),
            "referly import contacts PROSPECT_CONTACTS.csv",
            "web:import",
        )
    if c.client_contacts_touched == 0:
        return _with(
            line,
            EMPTY,
            _(
                "0 warm paths: nobody on our team has a touch with a client's contact, so no path can start. "
                "Connect a mailbox: referly source add imap … or Settings → Mailboxes and calendars."
            ),
            MAILBOX_COMMAND,
            "web:sources",
        )
    if c.client_prospect_ties == 0:
        no_ties = _(
            "0 warm paths: no known tie between a client's contact and a prospect's (former colleagues, a declared "
            "connection, a board seat). Import connections or a LinkedIn export."
        )
        if c.interactions == 0:
            return _with(
                line,
                EMPTY,
                no_ties + " " + connect_a_mailbox(),
                MAILBOX_COMMAND,
                "web:sources",
            )
        return _with(
            line,
            EMPTY,
            no_ties,
            "referly import connections CONNECTIONS.csv, or referly capture linkedin EXPORT.zip",
            "web:import",
        )
    sentence = _(
        "%(ties)s ties between clients and prospects; %(touched)s client contacts in touch with our team."
    ) % _grouped(
        {
            "ties": c.client_prospect_ties,
            "touched": c.client_contacts_touched,
        }
    )
    if c.interactions == 0:
        return _with(
            line,
            THIN,
            sentence + " " + _("Paths rest on CRM activity dates only: connect a mailbox."),
            MAILBOX_COMMAND,
            "web:sources",
        )
    return _with(line, OK, sentence, fix=False)


def actions(c: Counts) -> Line:
    line = Line("actions", _("Next best actions"), EMPTY, "", {}, "referly score", "web:today")
    if c.run is None:
        return _with(line, EMPTY, _("No scoring run yet: run referly score."))
    made = int(c.run.get("actions", 0))
    skipped = sum(v for k, v in c.run.items() if k.startswith("skipped."))
    line = Line("actions", line.feature, EMPTY, "", {"actions": made, "skipped": skipped}, line.command, line.page)
    if made == 0:
        paths = warm_paths(c)
        if paths.status == EMPTY:
            return _with(
                line, EMPTY, _("0 next best actions: no warm path.") + " " + paths.sentence, paths.command, paths.page
            )
        return _with(
            line,
            EMPTY,
            ngettext(
                "0 next best actions: %(n)s warm path found, and left out (see why below).",
                "0 next best actions: %(n)s warm paths found, all left out (see why below).",
                skipped,
            )
            % _grouped({"n": skipped}),
        )
    return _with(
        line,
        OK,
        ngettext("%(n)s next best action in the latest run.", "%(n)s next best actions in the latest run.", made)
        % _grouped({"n": made}),
        fix=False,
    )


def reports(c: Counts) -> Line:
    line = Line(
        "reports",
        _("Reports"),
        OK,
        ngettext("%(n)s referral on record.", "%(n)s referrals on record.", c.referrals) % _grouped({"n": c.referrals}),
        {"referrals": c.referrals, "deals": c.deals},
        "referly import referrals REFERRALS.csv",
        "web:today",
    )
    if c.referrals == 0:
        return _with(
            line,
            EMPTY,
            _("No referral yet: the report has nothing to measure. Log an ask from Today (it creates the referral)."),
        )
    return _with(line, OK, line.sentence, fix=False)


def backtest(c: Counts) -> Line:
    declined = c.asks_tracked - c.asks_introduced
    line = Line(
        "backtest",
        _("Backtest"),
        OK,
        _("%(n)s past asks, %(good)s led to an introduction.")
        % _grouped({"n": c.asks_tracked, "good": c.asks_introduced}),
        {"asks": c.asks_tracked, "introduced": c.asks_introduced},
        "referly evaluate ranking",
        "web:board",
    )
    if c.asks_tracked < MINIMUM_SAMPLE or min(c.asks_introduced, declined) < MINIMUM_POSITIVES:
        return _with(
            line,
            EMPTY if c.asks_tracked == 0 else THIN,
            line.sentence
            + " "
            + _(
                "The backtest needs at least %(n)s asks, %(k)s that led to an introduction and %(k)s that did not: "
                "move referrals along the board as they happen."
            )
            % _grouped({"n": MINIMUM_SAMPLE, "k": MINIMUM_POSITIVES}),
        )
    return _with(line, OK, line.sentence, fix=False)


DATA_CHECKS = (team, accounts, contacts, deals, interactions, nps, icp, moments)
FEATURE_CHECKS = (sponsors, gates, warm_paths, actions, reports, backtest)


def data_lines(c: Counts) -> list[Line]:
    """The Setup checklist: the records Referly reads."""
    return [check(c) for check in DATA_CHECKS]


def feature_lines(c: Counts) -> list[Line]:
    """What the records make possible, list by list."""
    return [check(c) for check in FEATURE_CHECKS]


def _with(
    line: Line, status: str, sentence: str, command: str | None = None, page: str | None = None, *, fix: bool = True
) -> Line:
    """``line`` with this status and sentence; its fix kept (or replaced), or dropped when all is well."""
    if not fix:
        return Line(line.key, line.feature, status, sentence, line.numbers)
    return Line(line.key, line.feature, status, sentence, line.numbers, command or line.command, page or line.page)


@dataclass(frozen=True)
class Readiness:
    """Everything the doctor and the Setup page show: the counts, the checklist, the lists, what the run left out."""

    counts: Counts
    data: list[Line]
    features: list[Line]
    left_out: list[str]

    @property
    def lines(self) -> list[Line]:
        return [*self.data, *self.features]


def assess(c: Counts) -> Readiness:
    return Readiness(c, data_lines(c), feature_lines(c), left_out(c.run or {}))

"""Returned messages as mail systems write them, for the tests of replies, automatic replies and bounces.

Each sample says where its shape comes from. Addresses: our owner alice@example.com, sponsors at acme.example.
"""

from __future__ import annotations

from datetime import datetime

OWNER = "alice@example.com"


def _date(at: datetime) -> str:
    return f"{at:%a, %d %b %Y %H:%M:%S +0000}"


def reply(
    sender: str, at: datetime, in_reply_to: str, *, subject: str = "Re: An introduction", text: str = ""
) -> bytes:
    """A person's reply, quoting the ask below their own words (RFC 5322 3.6.4 threading fields)."""
    body = text or "Happy to introduce you, I will write to her today.\r\n\r\nOn Mon, Alice wrote:\r\n> Hi Jane,\r\n"
    return (
        f"From: Jane Roe <{sender}>\r\nTo: {OWNER}\r\nSubject: {subject}\r\nDate: {_date(at)}\r\n"
        f"Message-ID: <reply-{at:%s}@acme.example>\r\nIn-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    ).encode()


def out_of_office_en(sender: str, at: datetime, in_reply_to: str) -> bytes:
    """Microsoft Exchange's automatic reply: RFC 3834 Auto-Submitted plus X-Auto-Response-Suppress, subject
    "Automatic reply: <subject>" (as Outlook writes it)."""
    return (
        f"From: Jane Roe <{sender}>\r\nTo: {OWNER}\r\nSubject: Automatic reply: An introduction\r\n"
        f"Date: {_date(at)}\r\nMessage-ID: <ooo-en-{at:%s}@acme.example>\r\nIn-Reply-To: {in_reply_to}\r\n"
        "Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Thank you for your message. I am out of the office with limited access to e-mail.\r\n"
        "I will be back on December 14th.\r\n"
    ).encode()


def out_of_office_fr(sender: str, at: datetime) -> bytes:
    """A French vacation message with no In-Reply-To, as Sieve's vacation extension sends it (RFC 5230 4.5:
    Auto-Submitted: auto-replied, subject "Auto: <subject>" unless set): found by its sender and date."""
    return (
        f"From: {sender}\r\nTo: {OWNER}\r\nSubject: =?utf-8?q?Absent_du_bureau?=\r\nDate: {_date(at)}\r\n"
        f"Message-ID: <ooo-fr-{at:%s}@acme.example>\r\nAuto-Submitted: auto-replied (vacation)\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Bonjour,\r\nJe suis absent jusqu'au 13 décembre inclus, sans accès à mes messages.\r\n"
    ).encode()


def dsn(recipient: str, at: datetime, original_id: str, *, status: str, action: str = "failed") -> bytes:
    """An RFC 3464 delivery status notification as Postfix writes it (RFC 3464 appendix and Postfix's
    bounce(8) template): multipart/report, a human part, message/delivery-status, then the returned headers."""
    diagnostic = (
        "550 5.1.1 <{0}>: Recipient address rejected: User unknown"
        if status.startswith("5")
        else ("452 4.2.2 <{0}>: Mailbox full")
    )
    return (
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        f"To: {OWNER}\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: {_date(at)}\r\n"
        f"Message-ID: <dsn-{status}-{at:%s}@mx.example.com>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n\r\n'
        "--B1\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.example.com.\r\n\r\nI'm sorry to have to inform you that your message "
        "could not\r\nbe delivered to one or more recipients.\r\n\r\n"
        "--B1\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\nArrival-Date: " + _date(at) + "\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\nAction: {action}\r\n"
        f"Status: {status}\r\nRemote-MTA: dns; mx.acme.example\r\n"
        f"Diagnostic-Code: smtp; {diagnostic.format(recipient)}\r\n\r\n"
        "--B1\r\nContent-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {OWNER}\r\nTo: {recipient}\r\nSubject: An introduction\r\nMessage-ID: {original_id}\r\n\r\n"
        "--B1--\r\n"
    ).encode()


def qmail_bounce(recipient: str, at: datetime, original_id: str) -> bytes:
    """qmail-send's failure notice (qmail's bounce format, cr.yp.to/proto/qsbmf.txt): no report part, the
    failed address in angle brackets, then the message copied below a marker line."""
    return (
        f"From: MAILER-DAEMON@mx.acme.example\r\nTo: {OWNER}\r\nSubject: failure notice\r\nDate: {_date(at)}\r\n"
        f"Message-ID: <qmail-{at:%s}@mx.acme.example>\r\n\r\n"
        "Hi. This is the qmail-send program at mx.acme.example.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        f"<{recipient}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
        f"Return-Path: <{OWNER}>\r\nFrom: {OWNER}\r\nTo: {recipient}\r\nSubject: An introduction\r\n"
        f"Message-ID: {original_id}\r\n\r\nHi,\r\n"
    ).encode()


def garbage_dsn(at: datetime) -> bytes:
    """A delivery report whose delivery-status part says nothing readable."""
    return (
        f"From: MAILER-DAEMON@mx.example.com\r\nTo: {OWNER}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {_date(at)}\r\nMessage-ID: <garbage-{at:%s}@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="G"\r\n\r\n'
        "--G\r\nContent-Type: message/delivery-status\r\n\r\n%%% not a field %%%\r\n\x00\x01 nonsense\r\n\r\n--G--\r\n"
    ).encode()

"""Typed EDIFACT interchange structures (UNB/UNG/UNH envelopes) and their rendering.

Rendering writes UNT01/UNT02, UNE01/UNE02 and UNZ01/UNZ02 itself, so counts and references always match.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradelane.connectors.edifact.syntax import DEFAULT_CHARS, Segment, ServiceChars, render_segment

__all__ = ["EdifactInterchange", "Message", "MessageGroup", "render_edifact"]

#: UNB09 / UNB11 value meaning "yes"
FLAG_SET = "1"


@dataclass(frozen=True)
class Message:
    """One UNH…UNT message; ``segments`` excludes UNH and UNT."""

    #: UNH02-1, e.g. ``IFTSTA``
    message_type: str
    #: UNH01 message reference number (and UNT02)
    reference: str
    #: UNH02-2 version, ``D`` for directories
    version: str = "D"
    #: UNH02-3 release, e.g. ``01B``
    release: str = "01B"
    #: UNH02-4 controlling agency
    agency: str = "UN"
    #: UNH02-5 association assigned code, e.g. an EANCOM or SMDG subset id
    association: str = ""
    #: body segments in order
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class MessageGroup:
    """One UNG…UNE functional group."""

    #: UNG01 message group identification (the message type it holds)
    group_type: str
    #: UNG02 application sender id and qualifier
    sender: str
    sender_qualifier: str
    #: UNG03 application recipient id and qualifier
    recipient: str
    recipient_qualifier: str
    #: UNG04 date (YYMMDD) and time (HHMM)
    date: str
    time: str
    #: UNG05 group reference number (and UNE02)
    reference: str
    #: UNG07 message version and release
    version: str = "D"
    release: str = "01B"
    #: UNG06 controlling agency
    agency: str = "UN"
    #: the messages
    messages: tuple[Message, ...] = ()


@dataclass(frozen=True)
class EdifactInterchange:
    """One UNB…UNZ interchange holding either messages or groups."""

    #: UNB02 sender id and qualifier
    sender: str
    sender_qualifier: str
    #: UNB03 recipient id and qualifier
    recipient: str
    recipient_qualifier: str
    #: UNB04 date (YYMMDD, or CCYYMMDD in syntax 4) and time (HHMM)
    date: str
    time: str
    #: UNB05 interchange control reference (and UNZ02)
    control_reference: str
    #: UNB01 syntax identifier and version
    syntax_id: str = "UNOC"
    syntax_version: str = "3"
    #: UNB07 application reference
    application_reference: str = ""
    #: UNB09: the sender asks for a CONTRL
    ack_requested: bool = False
    #: UNB11: test interchange
    test: bool = False
    #: messages directly in the interchange
    messages: tuple[Message, ...] = ()
    #: or functional groups (never both)
    groups: tuple[MessageGroup, ...] = ()


def _message_segments(message: Message) -> list[Segment]:
    s009 = [message.message_type, message.version, message.release, message.agency, message.association]
    return [
        Segment.of("UNH", message.reference, s009),
        *message.segments,
        Segment.of("UNT", str(len(message.segments) + 2), message.reference),
    ]


def render_edifact(
    interchange: EdifactInterchange, chars: ServiceChars | None = None, *, una: bool = True, suffix: str = ""
) -> str:
    """Render an interchange.

    :param interchange: the structure to write
    :param chars: service characters; ISO 9735 defaults when omitted
    :param una: write the UNA service string advice (required when ``chars`` are not the defaults)
    :param suffix: written after every segment terminator, e.g. ``"\\n"``
    :raises EdiRenderError: when a value holds a separator that cannot be released or a tag is invalid
    """
    c = chars or DEFAULT_CHARS
    c.check()
    segments = [
        Segment.of(
            "UNB",
            [interchange.syntax_id, interchange.syntax_version],
            [interchange.sender, interchange.sender_qualifier],
            [interchange.recipient, interchange.recipient_qualifier],
            [interchange.date, interchange.time],
            interchange.control_reference,
            "",
            interchange.application_reference,
            "",
            FLAG_SET if interchange.ack_requested else "",
            "",
            FLAG_SET if interchange.test else "",
        )
    ]
    for message in interchange.messages:
        segments += _message_segments(message)
    for group in interchange.groups:
        segments.append(
            Segment.of(
                "UNG",
                group.group_type,
                [group.sender, group.sender_qualifier],
                [group.recipient, group.recipient_qualifier],
                [group.date, group.time],
                group.reference,
                group.agency,
                [group.version, group.release],
            )
        )
        for message in group.messages:
            segments += _message_segments(message)
        segments.append(Segment.of("UNE", str(len(group.messages)), group.reference))
    count = len(interchange.groups) if interchange.groups else len(interchange.messages)
    segments.append(Segment.of("UNZ", str(count), interchange.control_reference))
    head = c.una() + suffix if una else ""
    return head + "".join(render_segment(s, c) + suffix for s in segments)

"""EDIFACT service code tables used by the codec and by CONTRL (ISO 9735 / UN/EDIFACT service directory)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ActionCode", "SyntaxError", "SyntaxIdentifier"]


class ActionCode(StrEnum):
    """Data element 0083 Action, coded (UCI04, UCF04, UCM03)."""

    #: this level and all lower levels rejected
    REJECTED = "4"
    #: this level acknowledged, and all lower levels acknowledged unless explicitly rejected
    ACCEPTED = "7"
    #: interchange received (no syntax check reported)
    RECEIVED = "8"


class SyntaxError(StrEnum):
    """Data element 0085 Syntax error, coded."""

    #: syntax version or level not supported
    SYNTAX_NOT_SUPPORTED = "2"
    #: interchange recipient is not the actual recipient
    NOT_RECIPIENT = "7"
    #: invalid value
    INVALID_VALUE = "12"
    #: missing
    MISSING = "13"
    #: value not supported in this position
    VALUE_NOT_SUPPORTED = "14"
    #: not supported in this position
    NOT_SUPPORTED_IN_POSITION = "15"
    #: too many constituents
    TOO_MANY_CONSTITUENTS = "16"
    #: no agreement
    NO_AGREEMENT = "17"
    #: unspecified error
    UNSPECIFIED = "18"
    #: invalid decimal notation
    INVALID_DECIMAL = "19"
    #: character invalid as service character
    INVALID_SERVICE_CHARACTER = "20"
    #: invalid character(s): not in the repertoire of the syntax level in UNB
    INVALID_CHARACTERS = "21"
    #: invalid service character(s)
    INVALID_SERVICE_CHARACTERS = "22"
    #: unknown interchange sender
    UNKNOWN_SENDER = "23"
    #: too old
    TOO_OLD = "24"
    #: test indicator not supported
    TEST_NOT_SUPPORTED = "25"
    #: duplicate detected
    DUPLICATE = "26"
    #: references do not match (UNZ/UNE/UNT reference differs from its header)
    REFERENCES_DO_NOT_MATCH = "28"
    #: control count does not match number of instances received
    COUNT_MISMATCH = "29"
    #: functional groups and messages mixed
    GROUPS_AND_MESSAGES_MIXED = "30"
    #: lower level empty
    LOWER_LEVEL_EMPTY = "32"
    #: invalid occurrence outside message, package or group
    INVALID_OCCURRENCE = "33"
    #: too many repetitions
    TOO_MANY_REPETITIONS = "35"
    #: too many segment group repetitions
    TOO_MANY_GROUP_REPETITIONS = "36"
    #: invalid type of character(s): letters in a numeric element or digits in an alphabetic one
    INVALID_CHARACTER_TYPE = "37"
    #: missing digit in front of decimal sign
    MISSING_DIGIT_BEFORE_DECIMAL = "38"
    #: data element too long
    TOO_LONG = "39"
    #: data element too short
    TOO_SHORT = "40"


class SyntaxIdentifier(StrEnum):
    """Data element 0001 Syntax identifier (UNB01-1): the character repertoire of the interchange."""

    #: level A: upper-case letters, digits, a few signs
    UNOA = "UNOA"
    #: level B: printable ASCII
    UNOB = "UNOB"
    #: ISO 8859-1 (Latin-1)
    UNOC = "UNOC"
    #: ISO 8859-2 (Latin-2)
    UNOD = "UNOD"
    #: ISO 8859-5 (Cyrillic)
    UNOE = "UNOE"
    #: ISO 8859-7 (Greek)
    UNOF = "UNOF"
    #: ISO 8859-3 (Latin-3)
    UNOG = "UNOG"
    #: ISO 8859-4 (Latin-4)
    UNOH = "UNOH"
    #: ISO 8859-6 (Arabic)
    UNOI = "UNOI"
    #: ISO 8859-8 (Hebrew)
    UNOJ = "UNOJ"
    #: ISO 8859-9 (Latin-5)
    UNOK = "UNOK"
    #: ISO 10646 / UTF-16 (syntax 4)
    UNOW = "UNOW"
    #: ISO 10646 / UTF-8 (syntax 4)
    UNOY = "UNOY"

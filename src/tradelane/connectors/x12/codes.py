"""X12 code tables: acknowledgment codes (TA1, 997, 999) and the small code lists the specs check.

Each table is an enum whose values are the codes on the wire; the comment above a member says what the
opaque code means. Element numbers refer to the X12 data element dictionary.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AckRequested",
    "AuthQualifier",
    "ElementError",
    "FunctionalId",
    "GroupAckStatus",
    "GroupError",
    "HierarchicalLevel",
    "InterchangeAckCode",
    "InterchangeNote",
    "ReservationAction",
    "SecurityQualifier",
    "SegmentError",
    "SetAckStatus",
    "SetError",
    "TransactionPurpose",
    "UsageIndicator",
]


class InterchangeAckCode(StrEnum):
    """TA104, element I17 Interchange Acknowledgment Code."""

    #: the interchange was received and accepted without errors
    ACCEPTED = "A"
    #: accepted, but errors were noted; the sender must not resend
    ACCEPTED_WITH_ERRORS = "E"
    #: the interchange was rejected because of errors in its envelope
    REJECTED = "R"


class InterchangeNote(StrEnum):
    """TA105, element I18 Interchange Note Code."""

    #: no error
    NO_ERROR = "000"
    #: ISA13 and IEA02 do not match; the header value is used in the ack
    CONTROL_NUMBER_MISMATCH = "001"
    #: the standard in the control standards identifier is not supported
    STANDARD_NOT_SUPPORTED = "002"
    #: this version of the controls (ISA12) is not supported
    VERSION_NOT_SUPPORTED = "003"
    #: the segment terminator is invalid
    INVALID_SEGMENT_TERMINATOR = "004"
    #: invalid interchange ID qualifier for the sender (ISA05)
    INVALID_SENDER_QUALIFIER = "005"
    #: invalid interchange sender ID (ISA06)
    INVALID_SENDER_ID = "006"
    #: invalid interchange ID qualifier for the receiver (ISA07)
    INVALID_RECEIVER_QUALIFIER = "007"
    #: invalid interchange receiver ID (ISA08)
    INVALID_RECEIVER_ID = "008"
    #: invalid authorization information qualifier (ISA01)
    INVALID_AUTH_QUALIFIER = "010"
    #: invalid authorization information value (ISA02)
    INVALID_AUTH_VALUE = "011"
    #: invalid security information qualifier (ISA03)
    INVALID_SECURITY_QUALIFIER = "012"
    #: invalid security information value (ISA04)
    INVALID_SECURITY_VALUE = "013"
    #: invalid interchange date (ISA09)
    INVALID_DATE = "014"
    #: invalid interchange time (ISA10)
    INVALID_TIME = "015"
    #: invalid standards identifier / repetition separator (ISA11)
    INVALID_STANDARDS_ID = "016"
    #: invalid interchange version ID (ISA12)
    INVALID_VERSION_ID = "017"
    #: invalid interchange control number (ISA13)
    INVALID_CONTROL_NUMBER = "018"
    #: invalid acknowledgment requested value (ISA14)
    INVALID_ACK_REQUESTED = "019"
    #: invalid test indicator (ISA15)
    INVALID_TEST_INDICATOR = "020"
    #: IEA01 does not match the number of functional groups
    INVALID_GROUP_COUNT = "021"
    #: invalid control structure (envelopes out of order or nested wrongly)
    INVALID_CONTROL_STRUCTURE = "022"
    #: improper (premature) end of file: the interchange trailer never came
    PREMATURE_END_OF_FILE = "023"
    #: invalid interchange content, e.g. an invalid GS segment or data outside a group
    INVALID_CONTENT = "024"
    #: duplicate interchange control number from this sender
    DUPLICATE_CONTROL_NUMBER = "025"
    #: invalid data element separator
    INVALID_ELEMENT_SEPARATOR = "026"
    #: invalid component element separator (ISA16)
    INVALID_COMPONENT_SEPARATOR = "027"


class SetAckStatus(StrEnum):
    """AK501 / IK501, element 717 Transaction Set Acknowledgment Code."""

    #: accepted
    ACCEPTED = "A"
    #: accepted, but errors were noted
    ACCEPTED_WITH_ERRORS = "E"
    #: rejected, message authentication code failed
    REJECTED_MAC = "M"
    #: rejected
    REJECTED = "R"
    #: rejected, assurance failed validity tests
    REJECTED_ASSURANCE = "W"
    #: rejected, content after decryption could not be analysed
    REJECTED_DECRYPTION = "X"


class GroupAckStatus(StrEnum):
    """AK901, element 715 Functional Group Acknowledge Code."""

    #: accepted
    ACCEPTED = "A"
    #: accepted, but errors were noted
    ACCEPTED_WITH_ERRORS = "E"
    #: partially accepted: at least one set was rejected
    PARTIALLY_ACCEPTED = "P"
    #: rejected
    REJECTED = "R"


class GroupError(StrEnum):
    """AK905..AK909, element 716 Functional Group Syntax Error Code."""

    #: functional group (GS01) not supported
    NOT_SUPPORTED = "1"
    #: functional group version (GS08) not supported
    VERSION_NOT_SUPPORTED = "2"
    #: functional group trailer (GE) missing
    TRAILER_MISSING = "3"
    #: GS06 and GE02 do not agree
    CONTROL_NUMBER_MISMATCH = "4"
    #: GE01 does not match the number of sets received
    SET_COUNT_MISMATCH = "5"
    #: group control number violates syntax
    CONTROL_NUMBER_SYNTAX = "6"


class SetError(StrEnum):
    """AK502..AK506 / IK502.., element 718 Transaction Set Syntax Error Code."""

    #: transaction set (ST01) not supported
    NOT_SUPPORTED = "1"
    #: transaction set trailer (SE) missing
    TRAILER_MISSING = "2"
    #: ST02 and SE02 do not match
    CONTROL_NUMBER_MISMATCH = "3"
    #: SE01 does not match the number of segments
    SEGMENT_COUNT_MISMATCH = "4"
    #: one or more segments in error
    SEGMENTS_IN_ERROR = "5"
    #: missing or invalid transaction set identifier
    INVALID_SET_ID = "6"
    #: missing or invalid transaction set control number
    INVALID_CONTROL_NUMBER = "7"
    #: transaction set control number not unique within the functional group
    DUPLICATE_CONTROL_NUMBER = "23"


class SegmentError(StrEnum):
    """AK304 / IK304, element 720 Segment Syntax Error Code."""

    #: unrecognized segment ID
    UNRECOGNIZED = "1"
    #: unexpected segment
    UNEXPECTED = "2"
    #: required segment missing
    MANDATORY_MISSING = "3"
    #: loop occurs over maximum times
    LOOP_OVER_MAX = "4"
    #: segment exceeds maximum use
    SEGMENT_OVER_MAX = "5"
    #: segment not in defined transaction set
    NOT_IN_SET = "6"
    #: segment not in proper sequence
    OUT_OF_SEQUENCE = "7"
    #: segment has data element errors (detailed by AK4 / IK4)
    ELEMENT_ERRORS = "8"


class ElementError(StrEnum):
    """AK403 / IK403, element 723 Data Element Syntax Error Code."""

    #: required data element missing
    MANDATORY_MISSING = "1"
    #: conditional required data element missing (syntax rule P, R, C, L)
    CONDITIONAL_MISSING = "2"
    #: too many data elements
    TOO_MANY_ELEMENTS = "3"
    #: data element too short
    TOO_SHORT = "4"
    #: data element too long
    TOO_LONG = "5"
    #: invalid character in data element
    INVALID_CHARACTER = "6"
    #: invalid code value
    INVALID_CODE = "7"
    #: invalid date
    INVALID_DATE = "8"
    #: invalid time
    INVALID_TIME = "9"
    #: exclusion condition violated (syntax rule E)
    EXCLUSION_VIOLATED = "10"
    #: too many repetitions
    TOO_MANY_REPETITIONS = "12"
    #: too many components
    TOO_MANY_COMPONENTS = "13"


class FunctionalId(StrEnum):
    """GS01, element 479 Functional Identifier Code, for the sets this codec knows."""

    #: motor carrier load tender (204)
    LOAD_TENDER = "SM"
    #: response to a load tender (990)
    TENDER_RESPONSE = "GF"
    #: transportation carrier shipment status (214)
    SHIPMENT_STATUS = "QM"
    #: motor carrier freight details and invoice (210)
    FREIGHT_INVOICE = "IM"
    #: warehouse shipping order (940)
    WAREHOUSE_ORDER = "OW"
    #: warehouse shipping advice (945)
    WAREHOUSE_ADVICE = "SW"
    #: ship notice / manifest (856)
    SHIP_NOTICE = "SH"
    #: functional acknowledgment (997, 999)
    ACKNOWLEDGMENT = "FA"


class TransactionPurpose(StrEnum):
    """Element 353 Transaction Set Purpose Code (B2A01, BSN01), the values logistics partners send."""

    #: original
    ORIGINAL = "00"
    #: cancellation
    CANCELLATION = "01"
    #: add
    ADD = "02"
    #: delete
    DELETE = "03"
    #: change
    CHANGE = "04"
    #: replace
    REPLACE = "05"
    #: confirmation
    CONFIRMATION = "06"
    #: duplicate
    DUPLICATE = "07"
    #: status
    STATUS = "08"
    #: request
    REQUEST = "13"
    #: reissue
    REISSUE = "18"
    #: information copy
    INFORMATION_COPY = "22"


class ReservationAction(StrEnum):
    """Element 558 Reservation Action Code (990 B104)."""

    #: tender accepted
    ACCEPTED = "A"
    #: tender declined / cancelled
    DECLINED = "D"


class HierarchicalLevel(StrEnum):
    """Element 735 Hierarchical Level Code (HL03), the levels of an 856 ship notice."""

    #: shipment
    SHIPMENT = "S"
    #: order
    ORDER = "O"
    #: tare (pallet)
    TARE = "T"
    #: pack (carton)
    PACK = "P"
    #: item
    ITEM = "I"
    #: equipment
    EQUIPMENT = "E"


class AuthQualifier(StrEnum):
    """ISA01, element I01 Authorization Information Qualifier."""

    #: no authorization information present
    NONE = "00"
    #: UCS communications ID
    UCS = "01"
    #: EDX communications ID
    EDX = "02"
    #: additional data identification
    ADDITIONAL = "03"
    #: rail communications ID
    RAIL = "04"
    #: Department of Defense communication identifier
    DOD = "05"
    #: United States federal government communication identifier
    FEDERAL = "06"


class SecurityQualifier(StrEnum):
    """ISA03, element I03 Security Information Qualifier."""

    #: no security information present
    NONE = "00"
    #: password
    PASSWORD = "01"


class AckRequested(StrEnum):
    """ISA14, element I13 Acknowledgment Requested (a TA1)."""

    #: no interchange acknowledgment requested
    NO = "0"
    #: interchange acknowledgment (TA1) requested
    YES = "1"


class UsageIndicator(StrEnum):
    """ISA15, element I14 Interchange Usage Indicator."""

    #: production data
    PRODUCTION = "P"
    #: test data
    TEST = "T"
    #: information
    INFORMATION = "I"

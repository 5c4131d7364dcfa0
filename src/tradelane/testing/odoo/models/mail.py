"""Chatter and activities: ``mail.thread`` (as a mixin), ``mail.message``, ``mail.message.subtype``,
``mail.activity`` and ``mail.activity.type``.

Quirks kept on purpose (reference §6): ``message_post`` HTML-escapes a plain ``str`` body unless
``body_is_html=True`` and returns the message id; ``activity_schedule`` returns a *recordset* (XML-RPC then
faults after commit, JSON-RPC answers ``"mail.activity(21,)"``); ``action_feedback``/``action_done`` post a
message, delete the activity and return the message id.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from ..exceptions import UserError
from ..orm import (
    Boolean,
    Char,
    Date,
    Datetime,
    Html,
    Integer,
    Many2many,
    Many2one,
    Model,
    One2many,
    Selection,
    exposed,
    parse_date,
    returns_id,
)

MESSAGE_TYPES = [
    ("email", "Incoming Email"),
    ("comment", "Comment"),
    ("email_outgoing", "Outgoing Email"),
    ("notification", "System notification"),
    ("auto_comment", "Automated Targeted Notification"),
    ("user_notification", "User Specific Notification"),
]
#: Subtype used when message_post gets none (an internal note).
DEFAULT_SUBTYPE_XMLID = "mail.mt_note"
#: Activity type used by activity_schedule without act_type_xmlid.
DEFAULT_ACTIVITY_TYPE_XMLID = "mail.mail_activity_data_todo"


class MailThread(Model):
    """The ``mail.thread`` + ``mail.activity.mixin`` part every business document inherits."""

    message_ids = One2many("mail.message", "res_id", "Messages", compute="_compute_message_ids")
    activity_ids = One2many("mail.activity", "res_id", "Activities", compute="_compute_activity_ids")
    activity_state = Selection(
        [("overdue", "Overdue"), ("today", "Today"), ("planned", "Planned")],
        "Activity State",
        compute="_compute_activity_state",
    )
    activity_summary = Char("Next Activity Summary", compute="_compute_activity_summary")
    activity_date_deadline = Date("Next Activity Deadline", compute="_compute_activity_deadline")
    activity_type_id = Many2one("mail.activity.type", "Next Activity Type", compute="_compute_activity_type")

    def _compute_message_ids(self) -> list[int]:
        return self._thread_records("mail.message", order="id desc")

    def _compute_activity_ids(self) -> list[int]:
        return self._thread_records("mail.activity", order="date_deadline, id")

    def _thread_records(self, model: str, order: str) -> list[int]:
        db = self.env.db
        candidates = db.lookup(model, "res_id", self.id) or set()
        table = db.tables[model]
        ids = [i for i in candidates if table[i].get("res_model") == self._name]
        return self.env[model]._sort_ids(ids, order)

    def _first_activity(self) -> Model:
        return self.env["mail.activity"].browse(self.activity_ids.ids[:1])

    def _compute_activity_state(self) -> Any:
        states = {a.state for a in self.activity_ids}
        for state in ("overdue", "today", "planned"):
            if state in states:
                return state
        return False

    def _compute_activity_summary(self) -> Any:
        return self._first_activity().summary

    def _compute_activity_deadline(self) -> Any:
        return self._first_activity().date_deadline

    def _compute_activity_type(self) -> Any:
        return self._first_activity().activity_type_id

    @exposed
    @returns_id
    def message_post(
        self,
        body: str = "",
        subject: str | None = None,
        message_type: str = "notification",
        subtype_xmlid: str | None = None,
        subtype_id: int | bool = False,
        partner_ids: list[int] | None = None,
        attachment_ids: list[int] | None = None,
        body_is_html: bool = False,
        author_id: int | None = None,
        **kwargs: Any,
    ) -> Model:
        """Post on the chatter; returns the new ``mail.message`` (its id over RPC)."""
        self.ensure_one()
        if not body_is_html and not isinstance(body, Markup):
            body = str(escape(body or ""))  # 17.0 escapes a plain str (no <br>); the Html field wraps it
        if not subtype_id:
            subtype_id = self.env.ref(subtype_xmlid or DEFAULT_SUBTYPE_XMLID).id
        attachments = self.env["ir.attachment"].browse(list(attachment_ids or [])).exists()
        for attachment in attachments:
            if attachment.res_model in (False, "mail.compose.message") or not attachment.res_id:
                attachment.write({"res_model": self._name, "res_id": self.id})
        return self.env["mail.message"].create(
            {
                "body": body,
                "subject": subject or False,
                "model": self._name,
                "res_id": self.id,
                "message_type": message_type,
                "subtype_id": subtype_id,
                "author_id": author_id or self.env.user.partner_id.id,
                "partner_ids": [(6, 0, list(partner_ids or []))],
                "attachment_ids": [(6, 0, attachments.ids)],
            }
        )

    def _message_log(self, body: str) -> None:
        """A system note, like Odoo's own 'Transfer created' / backorder notes."""
        for rec in self:
            rec.message_post(body=Markup(body), message_type="notification")

    def _selection_label(self, fname: str, value: Any) -> str:
        return dict(self._fields[fname].selection or []).get(value, str(value or ""))

    def _message_track(self, changes: list[tuple[str, Any, Any]], subtype_xmlid: str = DEFAULT_SUBTYPE_XMLID) -> None:
        """Odoo's field tracking as the chatter shows it: one notification with an empty body and one tracking
        value (old and new display values) per changed tracked field, posted when the change is flushed. The
        emulator has no ``ir.model.fields``, so ``field_id`` stays empty."""
        for rec in self:
            message = rec.message_post(body=Markup(""), message_type="notification", subtype_xmlid=subtype_xmlid)
            for _fname, old, new in changes:
                self.env["mail.tracking.value"].create(
                    {"mail_message_id": message.id, "old_value_char": old or "", "new_value_char": new or ""}
                )

    @exposed
    def activity_schedule(
        self,
        act_type_xmlid: str = "",
        date_deadline: Any = None,
        summary: str = "",
        note: str = "",
        **act_values: Any,
    ) -> Model:
        """Create one activity per record and return them as a recordset (no @api.returns in Odoo 17)."""
        activity_type = self.env.ref(act_type_xmlid or DEFAULT_ACTIVITY_TYPE_XMLID)
        model_id = self.env["ir.model"]._get_id(self._name)
        created = self.env["mail.activity"]
        for rec in self:
            vals = {
                "res_model_id": model_id,
                "res_id": rec.id,
                "activity_type_id": activity_type.id,
                "summary": summary or activity_type.summary or False,
                "note": note or False,
                "date_deadline": date_deadline or self.env.today,
                "user_id": act_values.pop("user_id", self.env.uid),
                **act_values,
            }
            created = created | self.env["mail.activity"].create(vals)
        return created


class MailMessageSubtype(Model):
    _name = "mail.message.subtype"
    _description = "Message subtypes"

    name = Char("Message Type", required=True)
    internal = Boolean("Internal Only")
    default = Boolean("Default", default=True)


class MailMessage(Model):
    _name = "mail.message"
    _description = "Message"
    _order = "id desc"
    _rec_name = "record_name"

    body = Html("Contents", default="")
    subject = Char("Subject")
    model = Char("Related Document Model", index=True)
    res_id = Integer("Related Document ID", index=True)
    record_name = Char("Message Record Name", compute="_compute_record_name")
    message_type = Selection(MESSAGE_TYPES, "Type", required=True, default="email")
    subtype_id = Many2one("mail.message.subtype", "Subtype")
    author_id = Many2one("res.partner", "Author")
    date = Datetime("Date", default=lambda self: self.env.now)
    partner_ids = Many2many("res.partner", "Recipients")
    attachment_ids = Many2many("ir.attachment", "Attachments")
    tracking_value_ids = One2many("mail.tracking.value", "mail_message_id", "Tracking values")

    def _compute_record_name(self) -> Any:
        if self.model and self.model in self.env and self.res_id:
            record = self.env[self.model].browse(self.res_id).exists()
            return record.display_name if record else False
        return False


class MailTrackingValue(Model):
    _name = "mail.tracking.value"
    _description = "Mail Tracking Value"

    mail_message_id = Many2one("mail.message", "Message ID", required=True, ondelete="cascade")
    field_id = Many2one("ir.model", "Field")
    old_value_char = Char("Old Value Char")
    new_value_char = Char("New Value Char")


class MailActivityType(Model):
    _name = "mail.activity.type"
    _description = "Activity Type"

    name = Char("Name", required=True)
    summary = Char("Default Summary")
    active = Boolean("Active", default=True)
    category = Selection(
        [("default", "None"), ("upload_file", "Upload Document")], "Action", default="default"
    )
    res_model = Char("Model")
    delay_count = Integer("Schedule")
    keep_done = Boolean("Keep Done")


class MailActivity(Model):
    _name = "mail.activity"
    _description = "Activity"
    _order = "date_deadline ASC, id ASC"
    _rec_name = "summary"

    res_model_id = Many2one("ir.model", "Document Model", required=True, ondelete="cascade")
    res_model = Char("Related Document Model", compute="_compute_res_model_field", store=True, index=True)
    res_id = Integer("Related Document ID", index=True)
    res_name = Char("Document Name", compute="_compute_res_name")
    activity_type_id = Many2one(
        "mail.activity.type",
        "Activity Type",
        default=lambda self: self.env.ref(DEFAULT_ACTIVITY_TYPE_XMLID).id,
    )
    summary = Char("Summary")
    note = Html("Note")
    active = Boolean("Active", default=True)
    date_deadline = Date("Due Date", required=True, default=lambda self: self.env.today)
    user_id = Many2one("res.users", "Assigned to", default=lambda self: self.env.uid)
    state = Selection(
        [("overdue", "Overdue"), ("today", "Today"), ("planned", "Planned")],
        "State",
        compute="_compute_state",
    )

    def _compute_res_model_field(self) -> Any:
        return self.res_model_id.model

    def _compute_res_name(self) -> Any:
        if self.res_model and self.res_model in self.env:
            record = self.env[self.res_model].browse(self.res_id).exists()
            return record.display_name if record else False
        return False

    def _compute_state(self) -> str:
        deadline = parse_date(self.date_deadline)
        delta = (deadline - self.env.today).days
        if delta < 0:
            return "overdue"
        return "today" if delta == 0 else "planned"

    def create(self, vals_list: Any) -> Any:
        records = super().create(vals_list)
        for rec in records:
            model = rec.res_model_id.model
            self.env.db.write_value(self._name, rec.id, "res_model", model)
            if not rec.res_id or not self.env[model].browse(rec.res_id).exists():
                raise UserError(f"Invalid document for activity: {model}({rec.res_id},)")
        return records

    def _action_done(
        self, feedback: str | bool = False, attachment_ids: list[int] | None = None
    ) -> list[int]:
        message_ids: list[int] = []
        for activity in self:
            record = self.env[activity.res_model].browse(activity.res_id)
            body = Markup("<div>{} done{}</div>").format(
                activity.activity_type_id.name or "Activity",
                Markup(": {}").format(activity.summary) if activity.summary else "",
            )
            if activity.note:
                # mail.message_activity_done renders the activity's note under "Original note:"
                body += Markup("<div><strong>Original note:</strong></div><div>{}</div>").format(
                    Markup(activity.note)
                )
            if feedback:
                body += Markup("<div><strong>Feedback:</strong></div><div>{}</div>").format(feedback)
            message = record.message_post(
                body=body,
                body_is_html=True,
                message_type="notification",
                subtype_xmlid="mail.mt_activities",
                attachment_ids=attachment_ids,
            )
            message_ids.append(message.id)
        self.unlink()
        return message_ids

    @exposed
    def action_feedback(self, feedback: str | bool = False, attachment_ids: list[int] | None = None) -> Any:
        """Mark done with feedback; returns the posted message id (False when nothing was done)."""
        ids = self.exists()._action_done(feedback, attachment_ids)
        return ids[0] if ids else False

    @exposed
    def action_done(self) -> Any:
        ids = self.exists()._action_done()
        return ids[0] if ids else False

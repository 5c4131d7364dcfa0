"""The model classes of the emulated Odoo 17 database, in registry order."""

from __future__ import annotations

from ..orm import Model
from .account import (
    AccountAccount,
    AccountJournal,
    AccountMove,
    AccountMoveLine,
    AccountMoveReversal,
    AccountTax,
)
from .base import (
    IrAttachment,
    IrModel,
    IrModelData,
    IrSequence,
    ResCompany,
    ResCountry,
    ResCurrency,
    ResPartner,
    ResUsers,
    UomCategory,
    UomUom,
)
from .delivery import ChooseDeliveryCarrier, DeliveryCarrier
from .mail import MailActivity, MailActivityType, MailMessage, MailMessageSubtype, MailTrackingValue
from .product import ProductCategory, ProductProduct, ProductTemplate
from .purchase import PurchaseOrder, PurchaseOrderLine
from .sale import SaleAdvancePaymentInv, SaleOrder, SaleOrderCancel, SaleOrderLine
from .stock import (
    StockBackorderConfirmation,
    StockBackorderConfirmationLine,
    StockLocation,
    StockLot,
    StockMove,
    StockMoveLine,
    StockPicking,
    StockPickingType,
    StockQuant,
    StockQuantPackage,
    StockReturnPicking,
    StockReturnPickingLine,
    StockTrackConfirmation,
    StockWarehouse,
)

MODEL_CLASSES: tuple[type[Model], ...] = (
    ResCurrency, ResCountry, ResCompany, ResPartner, ResUsers,
    IrModel, IrModelData, IrSequence, IrAttachment,
    MailMessageSubtype, MailMessage, MailTrackingValue, MailActivityType, MailActivity,
    UomCategory, UomUom, ProductCategory, ProductTemplate, ProductProduct,
    StockLocation, StockWarehouse, StockPickingType, StockLot, StockQuantPackage, StockQuant,
    StockPicking, StockMove, StockMoveLine, StockBackorderConfirmation, StockBackorderConfirmationLine,
    StockTrackConfirmation, StockReturnPicking, StockReturnPickingLine,
    DeliveryCarrier, ChooseDeliveryCarrier,
    SaleOrder, SaleOrderLine, SaleOrderCancel, SaleAdvancePaymentInv,
    PurchaseOrder, PurchaseOrderLine,
    AccountAccount, AccountJournal, AccountMove, AccountMoveLine, AccountTax, AccountMoveReversal,
)  # fmt: skip

__all__ = ["MODEL_CLASSES"]

"""Copy Salesforce's part of the shared world into the sandbox state on reset.

Customers and their ship-to addresses become Accounts (ship-tos as child accounts), items
Product2, each price level a Pricebook2 with its PricebookEntry rows, and the world's orders
(all entered in Salesforce) Order and OrderItem records, with the incoming orders not yet
in any ERP. Orders entered by people carry no
Orderbridge_Id__c; they are found by Id or OrderNumber.
"""

from __future__ import annotations

from sandbox.salesforce.schema import SYSTEM, record_id
from sandbox.state import SandboxState

PRIORITY = {"high": 1, "normal": 2, "low": 3}


def seed(state: SandboxState) -> None:
    world = state.world
    put = state.put_record
    with state.transaction():
        accounts: dict[str, str] = {}
        for c in world.customers:
            accounts[c.code] = put(
                SYSTEM,
                "Account",
                c.code,
                {
                    "Orderbridge_Id__c": c.code,
                    "Name": c.name,
                    "AccountNumber": c.code,
                    "Type": "Customer",
                    "CurrencyIsoCode": c.currency,
                    "Price_Level__c": c.price_level,
                    "Priority__c": PRIORITY.get(c.priority, 2),
                    "Payment_Terms__c": f"Net {c.terms_days}",
                    "Active__c": c.is_active,
                    "ShippingCountry": c.country,
                },
            )
        for s in world.ship_tos:
            key = f"{s.customer_code}:{s.code}"
            put(
                SYSTEM,
                "Account",
                key,
                {
                    "Orderbridge_Id__c": key,
                    "Name": s.name,
                    "Type": "Ship-To",
                    "ParentId": record_id("Account", accounts[s.customer_code]),
                    "Site": s.code,
                    "ShippingStreet": s.line1,
                    "ShippingCity": s.city,
                    "ShippingState": s.state,
                    "ShippingPostalCode": s.postal_code,
                    "ShippingCountry": s.country,
                    "Default_Ship_To__c": s.is_default,
                },
            )
        products = {
            i.sku: put(
                SYSTEM,
                "Product2",
                i.sku,
                {
                    "Orderbridge_Id__c": i.sku,
                    "Name": i.description,
                    "ProductCode": i.sku,
                    "Description": i.description,
                    "QuantityUnitOfMeasure": i.uom,
                    "IsActive": i.is_active,
                    "Drop_Ship__c": i.drop_ship,
                    "Is_Kit__c": i.is_kit,
                },
            )
            for i in world.items
        }
        books = {
            level: put(
                SYSTEM,
                "Pricebook2",
                level,
                {"Orderbridge_Id__c": level, "Name": level, "IsActive": True},
            )
            for level in sorted({e.price_level for e in world.price_entries})
        }
        for e in world.price_entries:
            key = f"{e.price_level}:{e.sku}:{e.currency}:{e.min_quantity}"
            put(
                SYSTEM,
                "PricebookEntry",
                key,
                {
                    "Orderbridge_Id__c": key,
                    "Product2Id": record_id("Product2", products[e.sku]),
                    "Pricebook2Id": record_id("Pricebook2", books[e.price_level]),
                    "UnitPrice": float(e.unit_price),
                    "CurrencyIsoCode": e.currency,
                    "Min_Quantity__c": e.min_quantity,
                    "IsActive": True,
                },
            )
        # Planted: orders entered straight into the ERP, unknown to Salesforce.
        erp_only = set(world.planted.get("recon_missing_in_system", ()))
        for sku in sorted(
            {ln.sku for o in world.incoming_orders for ln in o.lines} - set(products)
        ):  # a product sold in Salesforce that the ERP's item master does not know
            products[sku] = put(
                SYSTEM,
                "Product2",
                sku,
                {"Orderbridge_Id__c": sku, "Name": f"Product {sku}", "ProductCode": sku},
            )
        for o in (o for o in world.orders + world.incoming_orders if o.number not in erp_only):
            order_id = put(
                SYSTEM,
                "Order",
                None,
                {
                    "OrderNumber": o.number,
                    "AccountId": record_id("Account", accounts[o.customer_code]),
                    "Ship_To_Code__c": o.ship_to_code,
                    "EffectiveDate": o.ordered_at.date().isoformat(),
                    "CurrencyIsoCode": o.currency,
                    "Status": "Draft" if o.status == "draft" else "Activated",
                    "PoNumber": o.po_number,
                    "On_Hold__c": o.status == "on_hold",
                },
            )
            for line in o.lines:
                put(
                    SYSTEM,
                    "OrderItem",
                    None,
                    {
                        "OrderId": record_id("Order", order_id),
                        "Product2Id": record_id("Product2", products[line.sku]),
                        "Line_Number__c": line.line_no,
                        "Quantity": line.quantity,
                        "Quantity_UOM__c": line.uom,
                        "UnitPrice": float(line.unit_price),
                        "ServiceDate": o.requested_date.isoformat(),
                    },
                )
        last = max((int(o.number) for o in world.orders + world.incoming_orders), default=0)
        state.meta_set(SYSTEM, "order_number", last)

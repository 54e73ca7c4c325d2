"""Demo data on a running stack, only through the gateway's public API and the broker (never a
context's tables): five customers demo-customer-1 ... demo-customer-5 with profiles, addresses,
notification preferences and wishlists; reviews (approved and pending) on three demo products;
support tickets in every status, with agent replies and internal notes; loyalty points across
the tiers; a completed referral (demo-customer-1 refers demo-customer-5); portal orders,
appointments and brochure requests sent as the other platform services' events with lw-dev.

Safe to run again: it creates only what is missing (read first), moderates and moves tickets only
when they are not there yet, posts points with an Idempotency-Key per customer and step, and sends
events with fixed ids (a second send is a redelivery, which every consumer skips). It waits for
the effects of the events, so the data is complete when it exits. Progress goes to stderr, one
line per step; the tokens of demo-customer-1, demo-agent and demo-admin go to stdout.

    JWT_SECRET=... python3 scripts/lib/seed.py --gateway http://127.0.0.1:4006 \\
        --brokers 127.0.0.1:PORT --lw-dev .build/release/lw-dev

`scripts/stack seed` runs it against the local stack. Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

PREFIX = "/v1/customers"
CONTEXTS = ("profiles", "engagement", "support", "loyalty")
AGENT = "demo-agent"
ADMIN = "demo-admin"
TOKEN_LIFETIME = 86400
# Fixed event ids: uuid5 of the event's name in this namespace.
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "demo-seed.lomash-wood.example")


def customer(n):
    return "demo-customer-%d" % n


# ----------------------------------------------------------------------------- the demo data

PROFILES = {
    1: {"firstName": "Ada", "lastName": "Lovelace", "email": "ada.lovelace@example.com",
        "phone": "+44 20 7946 0101", "dateOfBirth": "1985-12-10", "marketingConsent": True},
    2: {"firstName": "Grace", "lastName": "Hopper", "email": "grace.hopper@example.com",
        "phone": "+44 151 496 0202", "dateOfBirth": "1976-12-09", "marketingConsent": True},
    3: {"firstName": "Katherine", "lastName": "Johnson", "email": "katherine.johnson@example.com",
        "phone": "+44 113 496 0303", "dateOfBirth": "1968-08-26", "marketingConsent": False},
    4: {"firstName": "Alan", "lastName": "Turing", "email": "alan.turing@example.com",
        "phone": "+44 161 496 0404", "dateOfBirth": "1972-06-23", "marketingConsent": False},
    5: {"firstName": "Margaret", "lastName": "Hamilton", "email": "margaret.hamilton@example.com",
        "phone": "+44 117 496 0505", "dateOfBirth": "1990-08-17", "marketingConsent": True},
}

# Matched by label: one of each label per customer.
ADDRESSES = {
    1: [{"label": "Home", "line1": "12 St James's Square", "city": "London", "postcode": "SW1Y 4LB", "country": "GB", "isPrimary": True},
        {"label": "Work", "line1": "1 Poultry", "line2": "Third floor", "city": "London", "postcode": "EC2R 8EJ", "country": "GB"}],
    2: [{"label": "Home", "line1": "7 Hope Street", "city": "Liverpool", "county": "Merseyside", "postcode": "L1 9BQ", "country": "GB", "isPrimary": True}],
    3: [{"label": "Home", "line1": "22 Park Row", "city": "Leeds", "county": "West Yorkshire", "postcode": "LS1 5HD", "country": "GB", "isPrimary": True},
        {"label": "Parents", "line1": "4 Castle Street", "city": "Edinburgh", "postcode": "EH2 3AH", "country": "GB"}],
    4: [{"label": "Home", "line1": "78 Oxford Road", "city": "Manchester", "postcode": "M1 7ED", "country": "GB", "isPrimary": True}],
    5: [{"label": "Home", "line1": "3 Broad Street", "city": "Bristol", "postcode": "BS1 2HQ", "country": "GB", "isPrimary": True}],
}

PREFERENCE_DEFAULTS = {
    "emailMarketing": False, "smsMarketing": False, "pushMarketing": False, "newsletter": False,
    "promotionalOffers": False, "productUpdates": False, "orderUpdates": True, "appointmentReminders": True,
    "preferredChannel": "EMAIL",
}
PREFERENCES = {
    1: {"emailMarketing": True, "newsletter": True, "productUpdates": True, "preferredChannel": "EMAIL"},
    2: {"smsMarketing": True, "promotionalOffers": True, "preferredChannel": "SMS"},
    3: {"appointmentReminders": False, "preferredChannel": "PUSH"},
    4: {"emailMarketing": True, "pushMarketing": True, "preferredChannel": "PUSH"},
    5: {"newsletter": True, "preferredChannel": "EMAIL"},
}

WISHLISTS = {
    1: [("demo-oak-dining-table", "KITCHEN", "For the new kitchen"), ("demo-walnut-sideboard", "KITCHEN", None),
        ("demo-linen-wardrobe", "BEDROOM", "Guest room")],
    2: [("demo-ash-bookcase", "BEDROOM", None), ("demo-oak-bed-frame", "BEDROOM", "King size")],
    3: [("demo-shaker-kitchen", "KITCHEN", "Sage green doors"), ("demo-oak-dining-table", "KITCHEN", None)],
    4: [("demo-walnut-sideboard", "KITCHEN", None), ("demo-ash-bookcase", "BEDROOM", None),
        ("demo-shaker-kitchen", "KITCHEN", "Compare with the handleless range")],
    5: [("demo-oak-bed-frame", "BEDROOM", None), ("demo-linen-wardrobe", "BEDROOM", None)],
}

# (customer, product, category, rating, title, body, status wanted)
REVIEWS = [
    (1, "demo-oak-dining-table", "KITCHEN", 5, "Worth every penny",
     "Solid oak, beautifully finished, and it seats eight with room to spare.", "APPROVED"),
    (2, "demo-oak-dining-table", "KITCHEN", 4, "Lovely table",
     "Lovely grain and very sturdy. Delivery took a little longer than promised.", "APPROVED"),
    (3, "demo-walnut-sideboard", "KITCHEN", 5, "The centrepiece of our kitchen",
     "The walnut is gorgeous and the soft-close doors are a joy.", "APPROVED"),
    (4, "demo-walnut-sideboard", "KITCHEN", 3, "Nice but heavy",
     "Looks great, but two people struggled to get it up the stairs.", "PENDING"),
    (2, "demo-ash-bookcase", "BEDROOM", 4, "Simple and elegant",
     "Holds all my books and the shelves do not sag. Easy to assemble.", "APPROVED"),
    (5, "demo-ash-bookcase", "BEDROOM", 2, "Shelf arrived scratched",
     "One shelf arrived with a long scratch; support is sending a replacement.", "PENDING"),
]

# Every status a ticket can have (TicketStatus). A staff public reply answers an OPEN ticket
# (IN_PROGRESS); the rest are status changes by the agent. Each conversation entry is
# ("agent" | "note" | "customer", text), a note being an internal message (staff only).
TICKETS = [
    {"customer": 1, "subject": "Delivery date for my dining table", "category": "DELIVERY", "priority": "MEDIUM",
     "orderId": "demo-order-1001",
     "message": "Could you tell me when my oak dining table will be delivered? I would like to be at home.",
     "conversation": [("note", "Warehouse confirms the table ships next week; waiting for the courier's slot.")],
     "status": "OPEN"},
    {"customer": 2, "subject": "Change my home design appointment", "category": "APPOINTMENT", "priority": "LOW",
     "message": "I need to move my home design appointment to a Saturday morning if possible.",
     "assign": True,
     "conversation": [("agent", "Thanks Grace, I am checking our designers' Saturday availability and will come back to you."),
                      ("note", "Customer prefers Saturday mornings; ask the Liverpool team first.")],
     "status": "IN_PROGRESS"},
    {"customer": 3, "subject": "Brochure has not arrived", "category": "GENERAL", "priority": "MEDIUM",
     "message": "I requested the kitchens brochure two weeks ago and it has not arrived yet.",
     "conversation": [("agent", "Sorry about that. Could you confirm the postcode we should send it to?")],
     "status": "WAITING_ON_CUSTOMER"},
    {"customer": 1, "subject": "Scratch on the sideboard door", "category": "PRODUCT", "priority": "HIGH",
     "orderId": "demo-order-1002",
     "message": "The left door of my sideboard has a scratch about five centimetres long.",
     "conversation": [("agent", "I am sorry to hear that. Could you send us a photo of the scratch?"),
                      ("customer", "Photo sent by email just now. Thank you for the quick reply."),
                      ("agent", "Thank you. A replacement door is on its way and our fitter will call you to book a visit.")],
     "status": "RESOLVED"},
    {"customer": 4, "subject": "Refund for a cancelled order", "category": "REFUND", "priority": "MEDIUM",
     "message": "I cancelled an order last week and have not received the refund yet.",
     "conversation": [("agent", "The refund was issued today and should reach your card within 3 to 5 working days."),
                      ("customer", "It has arrived, thank you for your help.")],
     "status": "CLOSED", "rating": {"rating": 4, "comment": "Quick and friendly."}},
]
# The staff status changes that reach a status from an open ticket (CLOSED via RESOLVED).
STATUS_PATH = {"OPEN": ["OPEN"], "IN_PROGRESS": ["IN_PROGRESS"], "WAITING_ON_CUSTOMER": ["WAITING_ON_CUSTOMER"],
               "RESOLVED": ["RESOLVED"], "CLOSED": ["RESOLVED", "CLOSED"]}

# Admin ledger entries, one Idempotency-Key each: demo-seed/<customer>/<step>. With the orders
# (1 point per pound by default) and the referral (250 to the referrer, 100 to the referee), the
# customers end PLATINUM (16500), GOLD (5980), SILVER (1620), BRONZE (500) and SILVER (1250).
LEDGER = [
    (1, "welcome", "EARN", 500, "Welcome bonus"),
    (1, "kitchen-project", "EARN", 12500, "Kitchen project completed"),
    (1, "anniversary", "EARN", 2000, "Customer anniversary"),
    (2, "welcome", "EARN", 500, "Welcome bonus"),
    (2, "bedroom-project", "EARN", 5000, "Bedroom project completed"),
    (2, "voucher", "REDEEM", 300, "GBP 30 voucher"),
    (3, "welcome", "EARN", 500, "Welcome bonus"),
    (3, "showroom-visit", "EARN", 1000, "Showroom visit and design consultation"),
    (4, "welcome", "EARN", 500, "Welcome bonus"),
    (5, "welcome", "EARN", 500, "Welcome bonus"),
]

REFERRER, REFEREE = 1, 5

# Events of the other platform services. demo-order-1005 is demo-customer-5's first paid order:
# it completes the referral, so it is sent after the code is applied.
ORDERS = [
    (1, "demo-order-1001", "LW-DEMO-1001", "850.00", ["demo-oak-dining-table"]),
    (1, "demo-order-1002", "LW-DEMO-1002", "400.00", ["demo-walnut-sideboard"]),
    (2, "demo-order-1003", "LW-DEMO-1003", "480.00", ["demo-ash-bookcase", "demo-oak-bed-frame"]),
    (3, "demo-order-1004", "LW-DEMO-1004", "120.00", ["demo-ash-bookcase"]),
    (5, "demo-order-1005", "LW-DEMO-1005", "650.00", ["demo-walnut-sideboard"]),
]
APPOINTMENTS = [
    (1, "demo-appointment-1", "SHOWROOM", "london-kings-road", 7),
    (2, "demo-appointment-2", "HOME", None, 14),
    (4, "demo-appointment-3", "ONLINE", None, 3),
]
BROCHURES = [
    (1, "demo-brochure-1", "kitchens-2027"),
    (3, "demo-brochure-2", "kitchens-2027"),
    (4, "demo-brochure-3", "bedrooms-2027"),
]


def event_id(kind, name):
    return str(uuid.uuid5(EVENT_NAMESPACE, kind + "/" + name))


# ----------------------------------------------------------------------------- plumbing

class Failure(Exception):
    pass


def progress(text):
    print("seed: " + text, file=sys.stderr, flush=True)


class Gateway:
    """JSON calls through the gateway; any answer not in `expect` is a Failure naming the step,
    the method, the path, the status and the body. A 429 is waited out (Retry-After)."""

    def __init__(self, root, tokens):
        self.root = root
        self.tokens = tokens

    def call(self, step, method, path, user=None, body=None, expect=(200,), headers=None, prefix=PREFIX):
        url = self.root + prefix + path
        data = None if body is None else json.dumps(body).encode()
        if data is None and method in ("POST", "PUT", "PATCH"):
            data = b""
        for attempt in range(8):
            request = urllib.request.Request(url, data=data, method=method)
            if user is not None:
                request.add_header("Authorization", "Bearer " + self.tokens[user])
            if body is not None:
                request.add_header("Content-Type", "application/json")
            for name, value in (headers or {}).items():
                request.add_header(name, value)
            try:
                with urllib.request.urlopen(request, timeout=15) as response:
                    status, raw, answer_headers = response.status, response.read(), response.headers
            except urllib.error.HTTPError as error:
                status, raw, answer_headers = error.code, error.read(), error.headers
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise Failure("step '%s': %s %s failed: %s (is the stack running? scripts/stack up)"
                              % (step, method, prefix + path, reason))
            if status == 429 and attempt < 7:
                retry_after = answer_headers.get("Retry-After") or "1"
                wait = min(int(retry_after), 60) if retry_after.isdigit() else 1
                progress("rate limited on %s %s; waiting %d s" % (method, prefix + path, wait))
                time.sleep(wait)
                continue
            break
        text = raw.decode("utf-8", "replace")
        if status not in expect:
            raise Failure("step '%s': %s %s answered %d (expected %s): %s"
                          % (step, method, prefix + path, status, "/".join(map(str, expect)), text or "(no body)"))
        if not text:
            return status, None
        try:
            return status, json.loads(text)
        except ValueError:
            raise Failure("step '%s': %s %s answered %d with a body that is not JSON: %s"
                          % (step, method, prefix + path, status, text))

    def data(self, step, method, path, user=None, body=None, expect=(200,), headers=None):
        status, answer = self.call(step, method, path, user, body, expect, headers)
        return status, (answer or {}).get("data")


def eventually(step, condition, timeout):
    """Polls `condition` (which returns a true value when the effect shows) until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure("step '%s': the effect did not show within %d s" % (step, timeout))
        time.sleep(0.5)


def run(step, command, env=None, timeout=60):
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure("step '%s': %s did not finish within %d s" % (step, " ".join(command[:3]), timeout))
    except OSError as error:
        raise Failure("step '%s': cannot run %s: %s" % (step, command[0], error))
    if done.returncode != 0:
        raise Failure("step '%s': %s exited with %d: %s"
                      % (step, " ".join(command[:3]), done.returncode, (done.stderr or done.stdout).strip()))
    return done.stdout


# ----------------------------------------------------------------------------- the steps

def check_stack(api):
    for context in CONTEXTS:
        _, readiness = api.call("stack is ready", "GET", "/health/" + context, prefix="")
        kafka = ((readiness or {}).get("checks") or {}).get("kafka")
        if kafka != "ok":
            # The events below would wait in an outbox, or never arrive.
            raise Failure("step 'stack is ready': GET /health/%s reports kafka: %s; the events need the broker: %s"
                          % (context, kafka, json.dumps(readiness)))
    progress("stack      gateway %s and its four contexts are ready" % api.root)


def mint_tokens(lw_dev):
    tokens = {}
    roles = [(customer(n), "customer") for n in PROFILES] + [(AGENT, "agent"), (ADMIN, "admin")]
    for sub, role in roles:
        output = run("token " + sub, [lw_dev, "token", "--sub", sub, "--role", role, "--expires-in", str(TOKEN_LIFETIME)])
        tokens[sub] = output.strip()
    progress("tokens     minted for %d users" % len(tokens))
    return tokens


def seed_profiles(api):
    for n, profile in PROFILES.items():
        user = customer(n)
        step = "profile " + user
        status, _ = api.call(step, "GET", "/profile", user, expect=(200, 404))
        if status == 200:
            progress("profile    %s kept" % user)
            continue
        # 409: created meanwhile (by auth.user.created, say); it is kept as it is.
        status, _ = api.call(step, "POST", "/profile", user, profile, expect=(201, 409))
        progress("profile    %s %s" % (user, "created" if status == 201 else "kept"))


def seed_addresses(api):
    for n, addresses in ADDRESSES.items():
        user = customer(n)
        step = "addresses " + user
        _, existing = api.data(step, "GET", "/addresses", user)
        labels = {address["label"] for address in existing}
        added = 0
        for address in addresses:
            if address["label"] not in labels:
                api.call(step, "POST", "/addresses", user, address, expect=(201,))
                added += 1
        progress("addresses  %s %d added, %d kept" % (user, added, len(addresses) - added))


def seed_preferences(api):
    for n, changes in PREFERENCES.items():
        user = customer(n)
        step = "notification preferences " + user
        wanted = dict(PREFERENCE_DEFAULTS, **changes)
        _, current = api.data(step, "GET", "/notification-preferences", user)
        if current.get("updatedAt") and all(current.get(key) == value for key, value in wanted.items()):
            progress("prefs      %s kept" % user)
            continue
        api.call(step, "PUT", "/notification-preferences", user, wanted)
        progress("prefs      %s saved" % user)


def seed_wishlists(api):
    for n, items in WISHLISTS.items():
        user = customer(n)
        step = "wishlist " + user
        _, wishlist = api.data(step, "GET", "/wishlist?limit=100", user)
        saved = {item["productId"] for item in wishlist["items"]}
        added = 0
        for product, category, notes in items:
            if product in saved:
                continue
            body = {"productId": product, "category": category}
            if notes:
                body["notes"] = notes
            # 409: saved meanwhile.
            api.call(step, "POST", "/wishlist/items", user, body, expect=(201, 409))
            added += 1
        progress("wishlist   %s %d added, %d kept" % (user, added, len(items) - added))


def seed_loyalty(api):
    for n, key, kind, points, reason in LEDGER:
        user = customer(n)
        step = "loyalty %s %s" % (user, key)
        body = {"userId": user, "type": kind, "points": points, "reason": reason, "referenceType": "demo-seed"}
        # The same key and request again answers the first entry (201) and writes nothing.
        _, entry = api.data(step, "POST", "/loyalty/transactions", ADMIN, body, expect=(201,),
                            headers={"Idempotency-Key": "demo-seed/%s/%s" % (user, key)})
        progress("loyalty    %s %s %d (%s)" % (user, kind, points, entry["id"]))


def seed_referral(api):
    referrer, referee = customer(REFERRER), customer(REFEREE)
    step = "referral code " + referrer
    _, listing = api.data(step, "GET", "/referrals?limit=100", referrer)
    code = listing["code"]
    if code is None:
        _, generated = api.data(step, "POST", "/referrals/generate", referrer, expect=(200, 201))
        code = generated["code"]
        progress("referral   %s generated %s" % (referrer, code))
    if any(referral["refereeId"] == referee for referral in listing["referrals"]):
        progress("referral   %s already applied %s" % (referee, code))
        return
    api.call("referral apply " + referee, "POST", "/referrals/apply", referee, {"code": code}, expect=(201,))
    progress("referral   %s applied %s" % (referee, code))


def seed_reviews(api):
    written = {}
    for n, product, category, rating, title, body, wanted in REVIEWS:
        user = customer(n)
        step = "review %s %s" % (user, product)
        if user not in written:
            _, reviews = api.data(step, "GET", "/reviews?limit=100", user)
            written[user] = {review["productId"]: review for review in reviews}
        review = written[user].get(product)
        action = "kept"
        if review is None:
            _, review = api.data(step, "POST", "/reviews", user,
                                 {"productId": product, "category": category, "rating": rating, "title": title, "body": body},
                                 expect=(201,))
            written[user][product] = review
            action = "written"
        if wanted == "APPROVED" and review["status"] != "APPROVED":
            api.call("moderate " + step, "PATCH", "/reviews/%s/status" % review["id"], ADMIN, {"status": "APPROVED"})
            action += ", approved"
        progress("review     %s %s %s (%s)" % (user, product, action, wanted))


def seed_tickets(api):
    listed = {}
    for spec in TICKETS:
        user = customer(spec["customer"])
        step = 'ticket %s "%s"' % (user, spec["subject"])
        if user not in listed:
            _, page = api.data(step, "GET", "/support/tickets?limit=100", user)
            listed[user] = {ticket["subject"]: ticket for ticket in page["tickets"]}
        ticket = listed[user].get(spec["subject"])
        actions = []
        if ticket is None:
            body = {key: spec[key] for key in ("subject", "message", "category", "priority", "orderId") if key in spec}
            _, ticket = api.data(step, "POST", "/support/tickets", user, body, expect=(201,))
            actions.append("opened")
        path = "/support/tickets/" + ticket["id"]
        # Staff see every message, internal notes too.
        _, detail = api.data(step, "GET", path, AGENT)
        status = detail["status"]
        if spec.get("assign") and detail["assignedTo"] != AGENT and status != "CLOSED":
            _, updated = api.data(step, "PATCH", path, AGENT, {"assignedTo": AGENT})
            status = updated["status"]
            actions.append("assigned")
        said = {(message["senderType"], message["message"], message["isInternal"]) for message in detail["messages"]}
        for who, text in spec["conversation"]:
            sender, internal = ("CUSTOMER", False) if who == "customer" else ("AGENT", who == "note")
            if (sender, text, internal) in said:
                continue
            if status == "CLOSED":
                raise Failure("step '%s': the ticket is CLOSED but lacks the message '%s'" % (step, text))
            body = {"message": text} if who == "customer" else {"message": text, "isInternal": internal}
            api.call(step, "POST", path + "/messages", user if who == "customer" else AGENT, body, expect=(201,))
            actions.append("note" if internal else who + " reply")
        if any(action.endswith(("reply", "note")) for action in actions):
            # A staff reply answers an OPEN ticket (IN_PROGRESS): the status as it is now.
            status = api.data(step, "GET", path, AGENT)[1]["status"]
        target = spec["status"]
        for next_status in STATUS_PATH[target]:
            if status == target:
                break
            if status == next_status:
                continue
            _, updated = api.data(step, "PATCH", path, AGENT, {"status": next_status})
            status = updated["status"]
            actions.append("-> " + status)
        if spec.get("rating") and detail.get("rating") is None:
            api.call(step, "POST", path + "/rating", user, spec["rating"], expect=(201,))
            actions.append("rated")
        progress("ticket     %s %s: %s (%s)" % (user, spec["subject"], ", ".join(actions) or "kept", target))


def portal_ids(api, step, user, path, field, key):
    _, page = api.data(step, "GET", path + "?limit=100", user)
    return {item[key] for item in page[field]}


def ledger_references(api, step, user):
    _, page = api.data(step, "GET", "/loyalty/transactions?type=EARN&limit=100", user)
    return {entry["referenceId"] for entry in page["transactions"] if entry["referenceId"]}


def order_done(api, step, user, order):
    """The order reached profiles (the portal) and loyalty (its points)."""
    return (order in portal_ids(api, step, user, "/portal/orders", "orders", "orderId")
            and order in ledger_references(api, step, user))


def publish(lw_dev, brokers, step, event, user, eid, flags):
    run(step, [lw_dev, "publish", event, "--brokers", brokers, "--user", user, "--event-id", eid] + flags)


def seed_events(api, lw_dev, brokers, timeout):
    """Sends each event whose effect is not there yet, then waits for them all."""
    waiting = []

    def send(step, event, user, name, flags, done, line):
        if done():
            progress("%s kept" % line)
            return
        publish(lw_dev, brokers, step, event, user, event_id(event, name), flags)
        waiting.append((step, done, line))

    for n, order, ref, amount, products in ORDERS:
        user = customer(n)
        step = "order-paid %s %s" % (user, order)
        flags = ["--order", order, "--ref", ref, "--amount", amount]
        for product in products:
            flags += ["--product", product]
        done = lambda step=step, user=user, order=order: order_done(api, step, user, order)
        send(step, "order-paid", user, order, flags, done, "order      %s %s (GBP %s)" % (user, order, amount))
    for n, appointment, kind, showroom, days in APPOINTMENTS:
        user = customer(n)
        step = "appointment-booked %s %s" % (user, appointment)
        flags = ["--appointment", appointment, "--type", kind, "--in-days", str(days)]
        if showroom:
            flags += ["--showroom", showroom]
        done = lambda step=step, user=user, appointment=appointment: appointment in portal_ids(
            api, step, user, "/portal/appointments", "appointments", "appointmentId")
        send(step, "appointment-booked", user, appointment, flags, done, "appointment %s %s (%s)" % (user, appointment, kind))
    for n, request, brochure in BROCHURES:
        user = customer(n)
        step = "brochure-requested %s %s" % (user, request)
        flags = ["--request", request, "--brochure", brochure]
        done = lambda step=step, user=user, request=request: request in portal_ids(
            api, step, user, "/portal/brochure-requests", "requests", "requestId")
        send(step, "brochure-requested", user, request, flags, done, "brochure   %s %s (%s)" % (user, request, brochure))
    for step, done, line in waiting:
        eventually(step, done, timeout)
        progress("%s sent and applied" % line)


def wait_for_effects(api, timeout):
    """What the events and the other contexts' events move, settled before the script exits."""
    referrer, referee = customer(REFERRER), customer(REFEREE)
    step = "referral completed by %s's first order" % referee

    def completed():
        _, listing = api.data(step, "GET", "/referrals?limit=100", referrer)
        return any(r["refereeId"] == referee and r["status"] == "COMPLETED" for r in listing["referrals"])

    eventually(step, completed, timeout)
    progress("referral   %s -> %s COMPLETED" % (referrer, referee))

    bought = {}
    for n, _, _, _, products in ORDERS:
        bought.setdefault(customer(n), set()).update(products)
    for n, product, *_ in REVIEWS:
        user = customer(n)
        if product not in bought.get(user, set()):
            continue
        step = "verified purchase %s %s" % (user, product)

        def verified():
            _, reviews = api.data(step, "GET", "/reviews?limit=100", user)
            return any(r["productId"] == product and r["verifiedPurchase"] for r in reviews)

        eventually(step, verified, timeout)
    progress("reviews    verified purchases recorded")

    # profiles' projections of the other contexts: the dashboard's points and wishlist count,
    # the portal's support summary.
    for n in PROFILES:
        user = customer(n)
        step = "projections " + user

        def settled():
            _, account = api.data(step, "GET", "/loyalty", user)
            _, wishlist = api.data(step, "GET", "/wishlist?limit=1", user)
            _, page = api.data(step, "GET", "/support/tickets?limit=100", user)
            _, dashboard = api.data(step, "GET", "/dashboard", user)
            _, support = api.data(step, "GET", "/portal/support", user)
            statuses = [ticket["status"] for ticket in page["tickets"]]
            return (dashboard["loyaltyPoints"]["lifetime"] == account["lifetimePoints"]
                    and dashboard["loyaltyPoints"]["current"] == account["points"]
                    and dashboard["wishlistCount"] == wishlist["itemCount"]
                    and support["total"] == len(statuses)
                    and support["resolved"] == statuses.count("RESOLVED")
                    and support["closed"] == statuses.count("CLOSED"))

        eventually(step, settled, timeout)
    progress("projections dashboards and portal support summaries up to date")


def print_tokens(api, tokens):
    width = max(len(customer(1)), len(AGENT), len(ADMIN))
    for role, user in (("customer", customer(1)), ("agent", AGENT), ("admin", ADMIN)):
        print("%-9s %-*s  %s" % (role, width, user, tokens[user]))
    print('curl -H "Authorization: Bearer %s" %s%s/dashboard' % (tokens[customer(1)], api.root, PREFIX))


def main():
    parser = argparse.ArgumentParser(description="Demo data on a running stack, through the gateway and the broker.")
    parser.add_argument("--gateway", required=True, help="the gateway's root, e.g. http://127.0.0.1:4006")
    parser.add_argument("--brokers", required=True, help="the Kafka bootstrap servers of the stack")
    parser.add_argument("--lw-dev", required=True, dest="lw_dev", help="the built lw-dev tool")
    parser.add_argument("--timeout", type=int, default=60, help="seconds to wait for each asynchronous effect (60)")
    args = parser.parse_args()

    root = args.gateway.rstrip("/")
    if root.endswith(PREFIX):
        root = root[: -len(PREFIX)]
    try:
        if len(os.environ.get("JWT_SECRET", "").encode()) < 32:
            raise Failure("JWT_SECRET must be set to the stack's secret (scripts/stack env prints it)")
        if not (os.path.isfile(args.lw_dev) and os.access(args.lw_dev, os.X_OK)):
            raise Failure("%s is not an executable lw-dev (scripts/stack up builds it)" % args.lw_dev)
        api = Gateway(root, {})
        check_stack(api)
        api.tokens = mint_tokens(args.lw_dev)
        seed_profiles(api)
        seed_addresses(api)
        seed_preferences(api)
        seed_wishlists(api)
        seed_loyalty(api)
        seed_referral(api)
        seed_reviews(api)
        seed_tickets(api)
        seed_events(api, args.lw_dev, args.brokers, args.timeout)
        wait_for_effects(api, args.timeout)
    except Failure as failure:
        print("seed: error: %s" % failure, file=sys.stderr)
        return 1
    progress("done")
    print_tokens(api, api.tokens)
    return 0


if __name__ == "__main__":
    sys.exit(main())

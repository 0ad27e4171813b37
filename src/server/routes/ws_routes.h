// GET /ws: upgrades to a WebSocket speaking the event protocol of
// docs/events.md (EventSocket on RouteContext::events). A plain GET gets
// 426 Upgrade Required. When an API key is set, the upgrade request must
// carry it as "Authorization: Bearer KEY" or, for browsers (which cannot set
// headers on a WebSocket), as the query parameter ?api_key=KEY.
#pragma once

#include "server/routes/routes.h"

namespace impetus {

void add_ws_routes(http::Router& router, const RouteContext& ctx);

}  // namespace impetus

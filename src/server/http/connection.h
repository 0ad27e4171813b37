// Connection: what the HttpServer needs of every open connection -- an HTTP
// Session or a WebSocket (WsSession) it was upgraded to -- to shut down:
// its strand, and the two steps of stop(). ServerState keeps a registry of
// them; each registers itself when it starts and leaves when it closes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace impetus::http {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

class Connection {
 public:
  virtual ~Connection() = default;
  // Both run on strand().
  virtual void server_stopping() = 0;  // close when idle (a WebSocket: close frame 1001)
  virtual void force_close() = 0;      // the grace period is over: close now
  virtual const Strand& strand() const = 0;
};

}  // namespace impetus::http

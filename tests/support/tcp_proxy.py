"""A TCP proxy the tests can stop, start, pause and black-hole: a database outage on demand."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:<port> (or another loopback address) to a target address.

    ``stop()`` closes the listener and every open connection, like a database
    that went away; ``start()`` brings it back on the same port. With
    ``blackhole=True`` connections are accepted and never answered, like a
    host that does not respond. ``pause()`` holds new connections, accepted but
    not yet forwarded (so the server's greeting, its first bytes, is delayed),
    until ``resume()``: like Aurora Serverless v2 resuming from 0 ACUs.
    ``pause_for(seconds)`` resumes by itself. With ``greeting_delay = s`` every new
    connection hears the server's first bytes only after s seconds (each one waits
    on its own). ``accepted`` counts connections.
    """

    def __init__(self, target: tuple[str, int], host: str = "127.0.0.1") -> None:
        self.target = target
        self.host = host
        self.port = 0
        self.blackhole = False
        self.greeting_delay = 0.0
        self._stopped = threading.Event()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._resumed = threading.Event()
        self._resumed.set()
        self._accepted = threading.Condition()
        self.accepted = 0

    def pause(self) -> None:
        """Hold new connections until ``resume()``."""
        self._resumed.clear()

    def resume(self) -> None:
        """Forward the held connections and every new one."""
        self._resumed.set()

    def pause_for(self, seconds: float) -> None:
        """Hold new connections for ``seconds`` from now."""
        self.pause()
        timer = threading.Timer(seconds, self.resume)
        timer.daemon = True
        timer.start()

    def wait_for_accepted(self, count: int, timeout: float = 30) -> None:
        """Block until ``count`` connections have been accepted in all."""
        with self._accepted:
            if not self._accepted.wait_for(lambda: self.accepted >= count, timeout):
                raise TimeoutError(f"{self.accepted} connections accepted, expected {count}")

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopped.clear()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        self._stopped.set()
        self._resumed.set()  # held connections are let go (and find their client closed)
        if listener is not None:
            # close() alone leaves a thread blocked in accept() accepting on Linux.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            with self._lock:
                self._sockets.add(client)
            with self._accepted:
                self.accepted += 1
                self._accepted.notify_all()
            if self.blackhole:
                continue  # hold it open, say nothing
            threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        # A resuming database holds the connection: reach the server (whose own handshake
        # timeout starts then) only after the hold.
        self._resumed.wait()
        if self.greeting_delay:
            self._stopped.wait(self.greeting_delay)
        if self._listener is None:
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)  # the timeout was for connecting: idle is not dead
        with self._lock:
            self._sockets.add(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

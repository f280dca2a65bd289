package dev.jobexec.api;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The Server-Sent Event streams open now (job output, job events): each ends when the
 * service stops, so that a graceful stop does not wait for them; clients reconnect with
 * Last-Event-ID, to this node once it is back or to another.
 */
@Component
class OpenStreams {

	private final Set<SseEmitter> open = ConcurrentHashMap.newKeySet();

	private volatile boolean stopping;

	/**
	 * A new stream, which Spring ends after {@code timeout} if it has not ended before;
	 * already ended when the service is stopping.
	 */
	Stream open(Duration timeout) {
		SseEmitter emitter = new SseEmitter(timeout.toMillis());
		AtomicBoolean gone = new AtomicBoolean();
		Runnable ended = () -> {
			gone.set(true);
			open.remove(emitter);
		};
		emitter.onCompletion(ended);
		emitter.onError((ex) -> ended.run());
		emitter.onTimeout(ended);
		open.add(emitter);
		Stream stream = new Stream(emitter, gone);
		if (stopping) {
			emitter.complete();
		}
		return stream;
	}

	@EventListener(ContextClosedEvent.class)
	void closing() {
		stopping = true;
		for (SseEmitter emitter : open) {
			try {
				emitter.send(SseEmitter.event().comment("the service is stopping; reconnect with Last-Event-ID"));
			}
			catch (IOException | IllegalStateException ex) {
				// gone already
			}
			emitter.complete();
		}
	}

	/** One open stream. */
	final class Stream {

		private final SseEmitter emitter;

		private final AtomicBoolean gone;

		Stream(SseEmitter emitter, AtomicBoolean gone) {
			this.emitter = emitter;
			this.gone = gone;
		}

		SseEmitter emitter() {
			return emitter;
		}

		/**
		 * Whether the stream has ended: the client went, it timed out, or the service
		 * stops.
		 */
		boolean ended() {
			return gone.get() || stopping;
		}

	}

}

package dev.jobexec.execution.process;

import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import dev.jobexec.execution.CapturedOutput;

/**
 * A bounded sink for one output stream: keeps the first and the last bytes up to a limit,
 * counts everything, and passes the bytes on to the job's {@link OutputFile}, if it has
 * one.
 */
final class OutputCapture {

	private final int headLimit;

	private final int tailLimit;

	private byte[] head = new byte[0];

	private int headLength;

	private byte[] tail;

	private int tailNext;

	private boolean tailWrapped;

	private long total;

	private final OutputFile file;

	OutputCapture(int limit) {
		this(limit, null);
	}

	OutputCapture(int limit, OutputFile file) {
		this.headLimit = limit / 2;
		this.tailLimit = limit - headLimit;
		this.file = file;
	}

	synchronized void write(byte[] bytes, int offset, int length) {
		total += length;
		if (file != null) {
			file.write(bytes, offset, length);
		}
		int toHead = Math.min(length, headLimit - headLength);
		if (toHead > 0) {
			if (headLength + toHead > head.length) {
				head = Arrays.copyOf(head, Math.min(headLimit, Math.max(headLength + toHead, head.length * 2)));
			}
			System.arraycopy(bytes, offset, head, headLength, toHead);
			headLength += toHead;
		}
		int rest = length - toHead;
		if (rest > 0 && tailLimit > 0) {
			appendTail(bytes, offset + toHead, rest);
		}
	}

	private void appendTail(byte[] bytes, int offset, int length) {
		if (tail == null) {
			tail = new byte[tailLimit];
		}
		if (length >= tailLimit) {
			System.arraycopy(bytes, offset + length - tailLimit, tail, 0, tailLimit);
			tailNext = 0;
			tailWrapped = true;
			return;
		}
		int first = Math.min(length, tailLimit - tailNext);
		System.arraycopy(bytes, offset, tail, tailNext, first);
		System.arraycopy(bytes, offset + first, tail, 0, length - first);
		if (tailNext + length >= tailLimit) {
			tailWrapped = true;
		}
		tailNext = (tailNext + length) % tailLimit;
	}

	synchronized CapturedOutput snapshot() {
		int tailLength = tailWrapped ? tailLimit : tailNext;
		long kept = headLength + (long) tailLength;
		boolean truncated = total > kept;
		StringBuilder text = new StringBuilder(decode(head, 0, headLength));
		if (truncated) {
			text.append("\n[... ").append(total - kept).append(" bytes omitted ...]\n");
		}
		if (tailLength > 0) {
			byte[] ordered = new byte[tailLength];
			if (tailWrapped) {
				System.arraycopy(tail, tailNext, ordered, 0, tailLimit - tailNext);
				System.arraycopy(tail, 0, ordered, tailLimit - tailNext, tailNext);
			}
			else {
				System.arraycopy(tail, 0, ordered, 0, tailNext);
			}
			text.append(decode(ordered, 0, tailLength));
		}
		return (file != null) ? new CapturedOutput(text.toString(), total, truncated, file.kept(), file.error())
				: new CapturedOutput(text.toString(), total, truncated);
	}

	/** The stream has ended: its file is complete. */
	synchronized void close() {
		if (file != null) {
			file.close();
		}
	}

	private static String decode(byte[] bytes, int offset, int length) {
		try {
			return StandardCharsets.UTF_8.newDecoder()
				.onMalformedInput(CodingErrorAction.REPLACE)
				.onUnmappableCharacter(CodingErrorAction.REPLACE)
				.decode(ByteBuffer.wrap(bytes, offset, length))
				.toString();
		}
		catch (java.nio.charset.CharacterCodingException ex) {
			throw new IllegalStateException(ex);
		}
	}

}

package dev.jobexec.execution.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import lombok.extern.slf4j.Slf4j;

/**
 * Keeps one stream of a process job whole in a file, from its first byte up to a size
 * limit. A write that fails (a full disk, say) stops the file where the last whole write
 * ended and records why; it never fails the job nor the service.
 */
@Slf4j
final class OutputFile {

	private final Path path;

	private final long limit;

	private FileChannel channel;

	private long kept;

	private String error;

	private boolean closed;

	private final Runnable onClose;

	/** {@code onClose} runs once, when the file is complete or given up. */
	OutputFile(Path path, long limit, Runnable onClose) {
		this.path = path;
		this.limit = limit;
		this.onClose = onClose;
	}

	void write(byte[] bytes, int offset, int length) {
		if (closed || error != null || kept >= limit) {
			return;
		}
		int count = (int) Math.min(length, limit - kept);
		try {
			if (channel == null) {
				Files.createDirectories(path.getParent());
				channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
						StandardOpenOption.WRITE);
			}
			ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, count);
			while (buffer.hasRemaining()) {
				channel.write(buffer);
			}
			kept += count;
		}
		catch (IOException ex) {
			error = "the output file stopped at " + kept + " bytes: "
					+ ((ex.getMessage() != null) ? ex.getMessage() : ex.getClass().getSimpleName());
			log.warn("Output file {}: {}", path, error);
			cutBack();
			close();
		}
	}

	/** Bytes kept whole in the file. */
	long kept() {
		return kept;
	}

	/** Why the file stopped short, other than its limit; null if it did not. */
	String error() {
		return error;
	}

	void close() {
		if (closed) {
			return;
		}
		closed = true;
		onClose.run();
		if (channel != null) {
			try {
				channel.close();
			}
			catch (IOException ex) {
				log.debug("Closing {}: {}", path, ex.toString());
			}
		}
	}

	/** Drops the part of a failed write that reached the file. */
	private void cutBack() {
		if (channel != null) {
			try {
				channel.truncate(kept);
			}
			catch (IOException ex) {
				log.debug("Truncating {}: {}", path, ex.toString());
			}
		}
	}

}

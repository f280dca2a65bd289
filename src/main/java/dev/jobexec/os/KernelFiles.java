package dev.jobexec.os;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Reads the small files the kernel makes up on each read ({@code /proc}, cgroup files),
 * which the service reads several times a job. {@code Files.readString} costs an
 * {@code fstat} and an 8 KiB array a read for such a file (the kernel reports its size as
 * 0 or 4096, so the JDK sizes its buffer blind); this reads into a buffer the thread
 * keeps until the end of the file. Malformed text is replaced, not refused: a process may
 * give itself any name, and must not become unreadable by it.
 */
final class KernelFiles {

	/** Most such files fit; a longer one (a busy cgroup's process list) is read on. */
	private static final int BUFFER = 4096;

	private static final ThreadLocal<ByteBuffer> BUFFERS = ThreadLocal.withInitial(() -> ByteBuffer.allocate(BUFFER));

	private KernelFiles() {
	}

	/** The whole of {@code file}, decoded with {@code charset}. */
	static String read(Path file, Charset charset) throws IOException {
		ByteBuffer buffer = BUFFERS.get().clear();
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
			byte[] more = null;
			int length = 0;
			while (true) {
				int read = channel.read(buffer);
				if (read < 0) {
					break;
				}
				if (!buffer.hasRemaining()) {
					// Full: what it holds moves to a growing array, and the buffer reads
					// on.
					more = (more == null) ? new byte[BUFFER * 4] : more;
					if (length + buffer.position() > more.length) {
						more = Arrays.copyOf(more, Math.max(more.length * 2, length + buffer.position()));
					}
					System.arraycopy(buffer.array(), 0, more, length, buffer.position());
					length += buffer.position();
					buffer.clear();
				}
			}
			if (more == null) {
				return new String(buffer.array(), 0, buffer.position(), charset);
			}
			if (length + buffer.position() > more.length) {
				more = Arrays.copyOf(more, length + buffer.position());
			}
			System.arraycopy(buffer.array(), 0, more, length, buffer.position());
			return new String(more, 0, length + buffer.position(), charset);
		}
	}

}

package dev.jobexec.os;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads the small files the kernel makes up on each read ({@code /proc}, cgroup files),
 * which the service reads several times a job. {@code Files.readString} costs an
 * {@code fstat} and an 8 KiB array a read for such a file (the kernel reports its size as
 * 0 or 4096, so the JDK sizes its buffer blind); this reads into an array the thread
 * keeps, until the end of the file. Malformed text is replaced, not refused: a process
 * may give itself any name, and must not become unreadable by it.
 * <p>
 * The read cannot be interrupted (a {@code FileInputStream}, not a {@code FileChannel},
 * which closes itself and fails when its thread has been interrupted): a thread being
 * stopped still sees the processes and cgroups that are there, instead of taking every
 * one of them for gone.
 */
final class KernelFiles {

	/** Most such files fit; a longer one (a busy cgroup's process list) is read on. */
	private static final int BUFFER = 4096;

	/** The largest array a thread keeps from one read to the next. */
	private static final int KEPT = 64 * 1024;

	private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[BUFFER]);

	private KernelFiles() {
	}

	/** The whole of {@code file}, decoded with {@code charset}. */
	static String read(Path file, Charset charset) throws IOException {
		byte[] buffer = BUFFERS.get();
		int length = 0;
		try (FileInputStream in = new FileInputStream(file.toFile())) {
			while (true) {
				if (length == buffer.length) {
					buffer = Arrays.copyOf(buffer, buffer.length * 2);
					if (buffer.length <= KEPT) {
						BUFFERS.set(buffer);
					}
				}
				// At most 8 KiB a read: the JDK reads more through a buffer it allocates
				// and frees each time.
				int read = in.read(buffer, length, Math.min(buffer.length - length, 8192));
				if (read < 0) {
					break;
				}
				length += read;
			}
		}
		return new String(buffer, 0, length, charset);
	}

}

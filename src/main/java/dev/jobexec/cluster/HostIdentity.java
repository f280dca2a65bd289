package dev.jobexec.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which machine, and which process table on it, a node runs on: its host name, and a key
 * that is equal for two nodes only when they see the same {@code /proc} (host name, boot
 * id and pid namespace), so that one of them may look up the other's pid.
 */
record HostIdentity(String host, String key) {

	static HostIdentity current() {
		String host;
		try {
			host = InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			host = System.getenv().getOrDefault("HOSTNAME", "unknown");
		}
		return new HostIdentity(host, host + "|" + read("/proc/sys/kernel/random/boot_id") + "|" + pidNamespace());
	}

	private static String read(String file) {
		try {
			return Files.readString(Path.of(file)).strip();
		}
		catch (IOException ex) {
			return "?";
		}
	}

	private static String pidNamespace() {
		try {
			return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
		}
		catch (IOException | UnsupportedOperationException ex) {
			return "?";
		}
	}

}

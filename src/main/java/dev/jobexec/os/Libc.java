package dev.jobexec.os;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The one way into the C library: one linker, one errno capture, one rule for turning a
 * failed downcall into an exception. Every {@code java.lang.foreign} downcall of jobexec
 * is made from this package, through the handles this class finds.
 */
final class Libc {

	static final int EPERM = 1;

	static final int ESRCH = 3;

	static final int EINTR = 4;

	static final int ECHILD = 10;

	static final int EAGAIN = 11;

	static final int ENOENT = 2;

	static final int ENODEV = 19;

	static final int O_RDONLY = 0;

	static final int O_WRONLY = 1;

	static final int O_CLOEXEC = 0x80000;

	static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

	static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

	static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT;

	static final AddressLayout ADDRESS = ValueLayout.ADDRESS;

	/** Captures {@code errno} right after the call, before the JVM can overwrite it. */
	static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

	private static final Linker LINKER = Linker.nativeLinker();

	private static final SymbolLookup LIBC = LINKER.defaultLookup();

	private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();

	private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

	private static final List<String> MISSING = new CopyOnWriteArrayList<>();

	private static final MethodHandle STRERROR = find("strerror", FunctionDescriptor.of(ADDRESS, INT));

	private Libc() {
	}

	/**
	 * A downcall handle for the C library's {@code name}; null (and named by
	 * {@link #missing}) when this C library has no such function.
	 */
	static MethodHandle find(String name, FunctionDescriptor descriptor, Linker.Option... options) {
		return LIBC.find(name).map((symbol) -> LINKER.downcallHandle(symbol, descriptor, options)).orElseGet(() -> {
			MISSING.add(name);
			return null;
		});
	}

	/**
	 * A downcall handle for {@code name} in the shared library at {@code library}, which
	 * stays loaded as long as the service runs.
	 * @throws IOException when the library cannot be loaded or has no such function
	 */
	static MethodHandle load(Path library, String name, FunctionDescriptor descriptor, Linker.Option... options)
			throws IOException {
		SymbolLookup lookup;
		try {
			lookup = SymbolLookup.libraryLookup(library, Arena.global());
		}
		catch (IllegalArgumentException ex) {
			throw new IOException(library + " cannot be loaded: " + ex.getMessage(), ex);
		}
		MemorySegment symbol = lookup.find(name)
			.orElseThrow(() -> new IOException(library + " has no function " + name));
		return LINKER.downcallHandle(symbol, descriptor, options);
	}

	/** The functions {@link #find} did not find so far. */
	static List<String> missing() {
		return List.copyOf(MISSING);
	}

	/** A segment for the errno that calls made with {@link #CAPTURE_ERRNO} capture. */
	static MemorySegment callState(Arena arena) {
		return arena.allocate(CALL_STATE);
	}

	static int errno(MemorySegment state) {
		return (int) ERRNO.get(state, 0L);
	}

	static String strerror(int errno) {
		if (STRERROR == null) {
			return "errno " + errno;
		}
		try {
			MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
			return text.reinterpret(256).getString(0);
		}
		catch (Throwable ex) {
			return "errno " + errno;
		}
	}

	/**
	 * Runs a downcall: what it throws unchecked, or as a {@code passes}, goes through as
	 * it is; anything else (a downcall handle declares {@code Throwable}) means the call
	 * itself could not be made.
	 */
	static <T, X extends Exception> T call(String what, Class<X> passes, Downcall<T> downcall) throws X {
		try {
			return downcall.call();
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			if (passes.isInstance(ex)) {
				throw passes.cast(ex);
			}
			throw new IllegalStateException(what + " could not be called", ex);
		}
	}

	/**
	 * {@link #call(String, Class, Downcall)} for a downcall that throws nothing checked.
	 */
	static <T> T call(String what, Downcall<T> downcall) {
		return call(what, RuntimeException.class, downcall);
	}

	/** Fails with the name of the function when this C library lacks it. */
	static MethodHandle require(MethodHandle handle, String name) {
		if (handle == null) {
			throw new IllegalStateException("this C library has no " + name + " (jobexec needs Linux)");
		}
		return handle;
	}

	/** One downcall, or a few that belong together. */
	@FunctionalInterface
	interface Downcall<T> {

		T call() throws Throwable;

	}

}

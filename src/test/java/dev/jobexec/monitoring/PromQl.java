package dev.jobexec.monitoring;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the series names out of PromQL expressions and out of a Prometheus scrape, so
 * that tests can check that dashboards and rules ask only for series the service exposes.
 */
final class PromQl {

	private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");

	private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}|\\[[^]]*]");

	private static final Pattern GROUPINGS = Pattern
		.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");

	private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][\\w:]*)\\b(?!\\s*\\()");

	private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
			"and", "or", "unless", "offset", "bool", "inf", "nan", "Inf", "NaN");

	private PromQl() {
	}

	/** The metric names an expression reads. */
	static Set<String> metricNames(String expr) {
		String bare = STRINGS.matcher(expr).replaceAll("\"\"");
		bare = MATCHERS.matcher(bare).replaceAll(" ");
		bare = GROUPINGS.matcher(bare).replaceAll(" ");
		Set<String> names = new TreeSet<>();
		Matcher matcher = IDENTIFIER.matcher(bare);
		while (matcher.find()) {
			if (!KEYWORDS.contains(matcher.group(1))) {
				names.add(matcher.group(1));
			}
		}
		return names;
	}

	/** The names of the series in a scrape in the Prometheus text format. */
	static Set<String> seriesNames(String scrape) {
		Set<String> names = new TreeSet<>();
		scrape.lines()
			.filter((line) -> !line.isBlank() && !line.startsWith("#"))
			.map((line) -> line.split("[{ ]", 2)[0])
			.forEach(names::add);
		return names;
	}

}

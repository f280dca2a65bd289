package dev.jobexec.web;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import dev.jobexec.problem.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.authentication.AuthenticationEntryPointFailureHandler;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.NegatedRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * API keys through Spring Security: every API call and every Actuator endpoint except
 * health needs a key, as {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>};
 * Swagger UI and the OpenAPI document stay readable so that a user can find the Authorize
 * button. A missing or wrong key is a 401 problem with {@code WWW-Authenticate}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ApiKeyProperties.class)
class SecurityConfiguration {

	static final String API_KEY_HEADER = "X-API-Key";

	private static final String[] OPEN = { "/actuator/health", "/actuator/health/**", "/swagger-ui.html",
			"/swagger-ui/**", "/v3/api-docs", "/v3/api-docs/**", "/error" };

	/**
	 * No observation around each of Spring Security's filters: with an observation
	 * registry it would otherwise wrap every filter of every request, only to find the
	 * observations disabled
	 * ({@code management.observations.enable.spring.security=false});
	 * {@code http.server.requests} still times every request.
	 */
	@Bean
	static SecurityObservationSettings securityObservationSettings() {
		return SecurityObservationSettings.noObservations();
	}

	@Bean
	ApiKeys apiKeys(ApiKeyProperties properties) {
		return new ApiKeys(properties);
	}

	/**
	 * Declared as a bean so that Spring Boot does not also set up a generated user and
	 * password.
	 */
	@Bean
	AuthenticationProvider apiKeyAuthenticationProvider(ApiKeys keys) {
		return new AuthenticationProvider() {

			@Override
			public Authentication authenticate(Authentication authentication) {
				int match = keys.match((String) authentication.getCredentials());
				if (match < 0) {
					throw new BadCredentialsException("The API key is not valid");
				}
				return new ApiKeyAuthentication("api-key-" + (match + 1), null);
			}

			@Override
			public boolean supports(Class<?> authentication) {
				return ApiKeyAuthentication.class.isAssignableFrom(authentication);
			}

		};
	}

	@Bean
	SecurityFilterChain apiSecurity(HttpSecurity http, AuthenticationProvider apiKeyAuthenticationProvider,
			ProblemResponder problems) throws Exception {
		// Both answers are problems made by the problem advice, as every other error is.
		AuthenticationEntryPoint unauthorized = (request, response, exception) -> problems.respond(request, response,
				new UnauthorizedException((exception instanceof BadCredentialsException) ? exception.getMessage()
						: "Give an API key as 'Authorization: Bearer <key>' or '" + API_KEY_HEADER + ": <key>'"));
		AccessDeniedHandler forbidden = (request, response, exception) -> problems.respond(request, response,
				new ErrorResponseException(HttpStatus.FORBIDDEN,
						Problems.problem(HttpStatus.FORBIDDEN, "forbidden", "Forbidden", exception.getMessage()),
						null));
		AuthenticationFilter apiKeys = new AuthenticationFilter(new ProviderManager(apiKeyAuthenticationProvider),
				SecurityConfiguration::presentedKey);
		// Open paths ignore whatever key comes along, so that a probe with a stale key
		// still works.
		apiKeys.setRequestMatcher(new NegatedRequestMatcher(new OrRequestMatcher(Arrays.stream(OPEN)
			.map(PathPatternRequestMatcher.withDefaults()::matcher)
			.map(RequestMatcher.class::cast)
			.toList())));
		apiKeys.setSuccessHandler((request, response, authentication) -> {
		});
		apiKeys.setFailureHandler(new AuthenticationEntryPointFailureHandler(unauthorized));
		return http.csrf(AbstractHttpConfigurer::disable)
			.httpBasic(AbstractHttpConfigurer::disable)
			.formLogin(AbstractHttpConfigurer::disable)
			.logout(AbstractHttpConfigurer::disable)
			.requestCache(AbstractHttpConfigurer::disable)
			.sessionManagement((session) -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.authorizeHttpRequests(
					(requests) -> requests.requestMatchers(OPEN).permitAll().anyRequest().authenticated())
			.exceptionHandling(
					(exceptions) -> exceptions.authenticationEntryPoint(unauthorized).accessDeniedHandler(forbidden))
			.addFilterAt(apiKeys, BasicAuthenticationFilter.class)
			.addFilterAfter(new OpenPathKeys(apiKeyAuthenticationProvider), BasicAuthenticationFilter.class)
			.build();
	}

	/**
	 * The key a request carries, or null: then the request is anonymous and open paths
	 * still work.
	 */
	private static Authentication presentedKey(HttpServletRequest request) {
		String header = request.getHeader(API_KEY_HEADER);
		if (header == null) {
			String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
			if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
				header = authorization.substring(7).trim();
			}
		}
		return (header != null) ? new ApiKeyAuthentication(null, header) : null;
	}

	/**
	 * On the open paths a valid key still identifies the caller, so that health shows its
	 * details to clients with a key and only the status to anonymous probes; a missing or
	 * wrong key is ignored there, so that a probe with a stale key still works.
	 */
	static final class OpenPathKeys extends OncePerRequestFilter {

		private final RequestMatcher open = new OrRequestMatcher(
				Arrays.stream(OPEN).map(PathPatternRequestMatcher.withDefaults()::matcher).toList());

		private final AuthenticationProvider keys;

		OpenPathKeys(AuthenticationProvider keys) {
			this.keys = keys;
		}

		@Override
		protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
				throws ServletException, IOException {
			Authentication presented = open.matches(request) ? presentedKey(request) : null;
			if (presented != null) {
				try {
					SecurityContext context = SecurityContextHolder.createEmptyContext();
					context.setAuthentication(keys.authenticate(presented));
					SecurityContextHolder.setContext(context);
				}
				catch (AuthenticationException ex) {
					// A wrong key on an open path: the request goes on anonymously.
				}
			}
			chain.doFilter(request, response);
		}

	}

	/** No API key, or a wrong one: 401 with {@code WWW-Authenticate}. */
	static final class UnauthorizedException extends ErrorResponseException {

		UnauthorizedException(String detail) {
			super(HttpStatus.UNAUTHORIZED,
					Problems.problem(HttpStatus.UNAUTHORIZED, "unauthorized", "Unauthorized", detail), null);
			getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"jobexec\"");
		}

	}

	/**
	 * A request's API key: unauthenticated as presented, authenticated once a key
	 * matched.
	 */
	static final class ApiKeyAuthentication extends AbstractAuthenticationToken {

		private final String principal;

		private final String key;

		ApiKeyAuthentication(String principal, String key) {
			super((principal != null) ? AuthorityUtils.createAuthorityList("ROLE_CLIENT") : List.of());
			this.principal = principal;
			this.key = key;
			setAuthenticated(principal != null);
		}

		@Override
		public Object getCredentials() {
			return key;
		}

		@Override
		public Object getPrincipal() {
			return principal;
		}

	}

}

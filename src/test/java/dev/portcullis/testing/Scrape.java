package dev.portcullis.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** Reads the admin endpoint the way Prometheus does, and picks samples out of the text format. */
public final class Scrape {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Map<String, Double> samples;

    private Scrape(Map<String, Double> samples) {
        this.samples = samples;
    }

    public static HttpResponse<String> get(InetSocketAddress admin, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public static Scrape metrics(InetSocketAddress admin) throws IOException, InterruptedException {
        HttpResponse<String> r = get(admin, "/metrics");
        if (r.statusCode() != 200) {
            throw new IOException("/metrics answered " + r.statusCode());
        }
        Map<String, Double> samples = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(canonical(line.substring(0, space)), Double.parseDouble(line.substring(space + 1)));
        }
        return new Scrape(samples);
    }

    /** The sample {@code name{k="v",...}} with labels in any order; 0 when absent. */
    public double value(String name, String... labels) {
        Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        StringBuilder key = new StringBuilder(name);
        if (!wanted.isEmpty()) {
            key.append('{');
            wanted.forEach((k, v) -> key.append(k).append("=\"").append(v).append("\","));
            key.setLength(key.length() - 1);
            key.append('}');
        }
        return samples.getOrDefault(key.toString(), 0.0);
    }

    public boolean has(String name) {
        return samples.keySet().stream().anyMatch(k -> k.equals(name) || k.startsWith(name + "{"));
    }

    private static String canonical(String series) {
        int brace = series.indexOf('{');
        if (brace < 0) {
            return series;
        }
        String name = series.substring(0, brace);
        Map<String, String> labels = new TreeMap<>();
        for (String kv : series.substring(brace + 1, series.length() - 1).split(",(?=[a-zA-Z_]+=\")")) {
            if (kv.isEmpty()) {
                continue;
            }
            int eq = kv.indexOf('=');
            labels.put(kv.substring(0, eq), kv.substring(eq + 2, kv.length() - 1));
        }
        StringBuilder b = new StringBuilder(name).append('{');
        labels.forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
        b.setLength(b.length() - 1);
        return b.append('}').toString();
    }
}

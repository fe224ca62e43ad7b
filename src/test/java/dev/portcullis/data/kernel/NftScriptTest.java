package dev.portcullis.data.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NftScriptTest {

    private static NatMapping mapping() throws Exception {
        return TestMappings.mapping(50007, 40123);
    }

    @Test
    void aMappingIsOneTransactionOfDnatAndSnat() throws Exception {
        assertThat(NftScript.add("pc", mapping(), Duration.ofSeconds(40))).isEqualTo(
                "add element ip pc data_snat { 198.51.100.10 . 198.51.100.1 . 50007 timeout 40s : 203.0.113.1 }; "
                        + "add element ip pc data_dnat { 198.51.100.10 . 198.51.100.1 . 50007 timeout 40s : 203.0.113.10 . 40123 }\n");
        assertThat(NftScript.remove("pc", mapping())).isEqualTo(
                "delete element ip pc data_dnat { 198.51.100.10 . 198.51.100.1 . 50007 }; "
                        + "delete element ip pc data_snat { 198.51.100.10 . 198.51.100.1 . 50007 }\n");
        assertThat(NftScript.add("pc", mapping(), Duration.ofMillis(10))).contains(" timeout 1s ");
    }

    @Test
    void theTableIsReplacedWholeAndLooksUpOnlyItsOwnMaps() {
        String t = NftScript.createTable("pc");
        assertThat(t).startsWith("add table ip pc\ndelete table ip pc\ntable ip pc {\n")
                .contains("hook prerouting priority dstnat").contains("hook output priority -100")
                .contains("hook postrouting priority srcnat")
                .contains("dnat ip to ip saddr . ip daddr . tcp dport map @data_dnat")
                .contains("ct status dnat meta l4proto tcp snat ip to ct original ip saddr . ct original ip daddr . ct original proto-dst map @data_snat");
        assertThat(NftScript.deleteTable("pc")).isEqualTo("delete table ip pc\n");
    }

    @Test
    void echoesAndQuotedErrorsAreReadBackToTheirKey() throws Exception {
        String key = mapping().key();
        // What nft 1.0.6 prints with -e, and under an error.
        assertThat(NftScript.addedKey("pc",
                "add element ip pc data_dnat { 198.51.100.10 . 198.51.100.1 . 50007 timeout 40s expires 40s : 203.0.113.10 . 40123 }"))
                .contains(key);
        assertThat(NftScript.addedKey("pc", "add element ip pc data_snat { 198.51.100.10 . 198.51.100.1 . 50007 timeout 40s expires 40s : 203.0.113.1 }"))
                .isEmpty();
        assertThat(NftScript.addedKey("other", "add element ip pc data_dnat { 1.2.3.4 . 1.2.3.5 . 1 timeout 1s : 1.2.3.6 . 2 }"))
                .isEmpty();
        assertThat(NftScript.addedKey("pc", "# new generation 5 by process 4961 (nft)")).isEmpty();
        String failedLine = NftScript.add("pc", mapping(), Duration.ofSeconds(40)).strip();
        assertThat(NftScript.quotedKey("pc", failedLine)).isEqualTo(Optional.of(key));
        assertThat(NftScript.quotedKey("pc", "delete element ip pc data_dnat { 198.51.100.10 . 198.51.100.1 . 50007 }")).isEmpty();
    }
}
